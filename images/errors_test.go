package images

import (
	"errors"
	"strings"
	"testing"
)

// The engine messages below are those Docker Engine 20.10 gave (as
// ImagePull's error, a stream errorDetail or DistributionInspect's error)
// against go-containerregistry's registry, except where noted.
func TestClassify(t *testing.T) {
	tests := []struct {
		name, msg string
		kind      error
		cause     string
	}{
		{"pull missing tag", "Error response from daemon: manifest for 127.0.0.1:36311/fail/works:2.8 not found: manifest unknown: Unknown manifest", ErrNotFound, "manifest unknown"},
		{"resolve missing tag", "Error response from daemon: manifest unknown: Unknown manifest", ErrNotFound, "manifest unknown"},
		{"pull missing repository", "Error response from daemon: repository 127.0.0.1:36311/fail/nothing not found: name unknown: Unknown name", ErrNotFound, "repository unknown"},
		{"resolve missing repository", "Error response from daemon: name unknown: Unknown name", ErrNotFound, "repository unknown"},
		// Docker Hub's answer for a missing or private repository (known text).
		{"hub pull access denied", "pull access denied for team/nope, repository does not exist or may require 'docker login': denied: requested access to the resource is denied", ErrNotFound, "the repository does not exist, or it needs docker login"},
		{"unreachable", `Error response from daemon: Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused`, ErrRegistryUnreachable, "connection refused"},
		{"no such host (known text)", `Get "https://reg.internal/v2/": dial tcp: lookup reg.internal on 127.0.0.53:53: no such host`, ErrRegistryUnreachable, "no such host"},
		{"timeout (known text)", `Get "https://10.9.0.1:5000/v2/": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)`, ErrRegistryUnreachable, "timed out"},
		{"no credentials", `Error response from daemon: Head "http://127.0.0.1:33613/v2/private/app/manifests/1": no basic auth credentials`, ErrUnauthorized, "no credentials"},
		{"wrong credentials", "Error response from daemon: unauthorized", ErrUnauthorized, "unauthorized"},
		{"token registry (known text)", "Error response from daemon: Head \"https://ghcr.io/v2/o/r/manifests/1\": denied: denied", ErrUnauthorized, "access denied"},
		{"layer digest mismatch", "filesystem layer verification failed for digest sha256:3c24a4866ff2b75592f0a050ff9cf6fb81a8bcecda551ea1cf20213d182ace4e", ErrDigestMismatch, "verification failed"},
		{"manifest digest mismatch (known text)", "manifest verification failed for digest sha256:abc", ErrDigestMismatch, "verification failed"},
		{"digest mismatch (known text)", "failed commit on ref \"layer-sha256:abc\": commit failed: unexpected commit digest sha256:def, expected sha256:abc: digest mismatch", ErrDigestMismatch, "digest mismatch"},
		{"does not match digest (known text)", "content sha256:def does not match digest sha256:abc", ErrDigestMismatch, "digest mismatch"},
		{"no space (known text)", "failed to register layer: Error processing tar file(exit status 1): write /usr/lib/x86_64-linux-gnu/libLLVM.so.15: no space left on device", ErrNoSpace, "no space left on device"},
		{"other", "Error response from daemon: toomanyrequests: You have reached your pull rate limit.", ErrPull, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := classify(tt.msg)
			if c.kind != tt.kind || c.cause != tt.cause {
				t.Errorf("classify = %v (%q), want %v (%q)", c.kind, c.cause, tt.kind, tt.cause)
			}
		})
	}
}

func TestPullErrorMessages(t *testing.T) {
	tests := []struct {
		name string
		err  *PullError
		want string
	}{
		{"not found", newPullError("reg/works:2.7", []string{"works"}, "Error response from daemon: manifest for reg/works:2.7 not found: manifest unknown: manifest unknown", AuthConfig{}),
			"service works: image reg/works:2.7: not found in the registry (manifest unknown); check the name and tag, or run devenv lock again"},
		{"unauthorized, two services", newPullError("127.0.0.1:5000/team/api:1", []string{"api", "worker"}, "unauthorized", AuthConfig{}),
			"services api, worker: image 127.0.0.1:5000/team/api:1: the registry refused access (unauthorized); log in with `docker login 127.0.0.1:5000`"},
		{"hub login", newPullError("team/api:1", []string{"api"}, "no basic auth credentials", AuthConfig{}),
			"service api: image team/api:1: the registry refused access (no credentials); log in with `docker login`"},
		{"unreachable", newPullError("10.9.0.1:5000/a:1", []string{"a"}, "dial tcp 10.9.0.1:5000: connect: connection refused", AuthConfig{}),
			"service a: image 10.9.0.1:5000/a:1: cannot reach the registry 10.9.0.1:5000 (connection refused); is the registry running, and is the VPN up?"},
		{"no space", newPullError("a:1", []string{"a"}, "write /x: no space left on device", AuthConfig{}),
			"service a: image a:1: the engine ran out of disk space (no space left on device); free some with `docker system prune`"},
		{"mismatch", newPullError("a:1", []string{"a"}, "filesystem layer verification failed for digest sha256:abc", AuthConfig{}),
			"service a: image a:1: the downloaded content does not match its digest (verification failed); pull again, and if it persists push the image again"},
		{"other, no service, secret removed", newPullError("a:1", nil, "Error response from daemon: weird failure for hunter22 with tok-123456", AuthConfig{Password: "hunter22", IdentityToken: "tok-123456"}),
			"image a:1: pull failed: weird failure for *** with ***"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %s\nwant      %s", got, tt.want)
			}
			if !errors.Is(tt.err, tt.err.Kind) {
				t.Errorf("does not unwrap to %v", tt.err.Kind)
			}
			if strings.Contains(tt.err.Detail, "hunter22") {
				t.Errorf("Detail shows the password: %s", tt.err.Detail)
			}
		})
	}
}

func TestDedupe(t *testing.T) {
	got := dedupe([]Request{
		{Ref: "b:1", Services: []string{"web"}},
		{Ref: "a:1", Services: []string{"db"}},
		{Ref: "b:1", Services: []string{"api", "web"}},
	})
	want := "b:1 [api web]; a:1 [db]"
	var parts []string
	for _, r := range got {
		parts = append(parts, r.Ref+" ["+strings.Join(r.Services, " ")+"]")
	}
	if s := strings.Join(parts, "; "); s != want {
		t.Errorf("dedupe = %s, want %s", s, want)
	}
}

func TestRepoDigest(t *testing.T) {
	d := "sha256:" + strings.Repeat("1", 64)
	for _, tt := range []struct {
		ref  string
		rds  []string
		want string
	}{
		{"127.0.0.1:5000/team/store:dev", []string{"127.0.0.1:5000/team/other@sha256:x", "127.0.0.1:5000/team/store@" + d}, d},
		{"docker.io/library/redis:7", []string{"redis@" + d}, d},
		{"team/app", []string{"team/app@" + d}, d},
		{"team/app:1", []string{"other/app@" + d}, ""},
	} {
		if got := RepoDigest(tt.ref, tt.rds); got != tt.want {
			t.Errorf("RepoDigest(%q, %v) = %q, want %q", tt.ref, tt.rds, got, tt.want)
		}
	}
}
