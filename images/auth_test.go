package images

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRegistryHost(t *testing.T) {
	for ref, want := range map[string]string{
		"redis:7":                           "docker.io",
		"team/app:1":                        "docker.io",
		"docker.io/library/redis":           "docker.io",
		"index.docker.io/team/app":          "docker.io",
		"127.0.0.1:5000/team/store:dev":     "127.0.0.1:5000",
		"localhost/app":                     "localhost",
		"reg.example.com/a/b@sha256:abcdef": "reg.example.com",
		"ghcr.io/o/r:tag@sha256:abc":        "ghcr.io",
	} {
		if got := RegistryHost(ref); got != want {
			t.Errorf("RegistryHost(%q) = %q, want %q", ref, got, want)
		}
	}
}

func TestEncodeAuth(t *testing.T) {
	if got := EncodeAuth(AuthConfig{}); got != "" {
		t.Errorf("EncodeAuth(empty) = %q, want empty", got)
	}
	enc := EncodeAuth(AuthConfig{Username: "u", Password: "p+/?", ServerAddress: "reg:5000"})
	raw, err := base64.URLEncoding.DecodeString(enc)
	if err != nil {
		t.Fatalf("not base64url: %v", err)
	}
	var got map[string]string
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"username": "u", "password": "p+/?", "serveraddress": "reg:5000"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("decoded X-Registry-Auth (-want +got):\n%s", d)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// fakeHelper installs docker-credential-fake on PATH. It answers for
// reg.test:5000 and Docker Hub, says "credentials not found" for others, and
// fails for broken.test.
func fakeHelper(t *testing.T) {
	dir := t.TempDir()
	script := `#!/bin/sh
[ "$1" = get ] || exit 3
read -r server
case "$server" in
reg.test:5000) echo '{"ServerURL":"reg.test:5000","Username":"helperuser","Secret":"helperpass"}' ;;
https://index.docker.io/v1/) echo '{"ServerURL":"https://index.docker.io/v1/","Username":"<token>","Secret":"refresh"}' ;;
broken.test) echo 'keychain locked' >&2; exit 2 ;;
*) echo 'credentials not found in native keychain'; exit 1 ;;
esac
`
	if err := os.WriteFile(filepath.Join(dir, "docker-credential-fake"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func TestDockerConfig(t *testing.T) {
	fakeHelper(t)
	tests := []struct {
		name    string
		config  string // "" → no config.json
		host    string
		want    AuthConfig
		wantErr string
	}{
		{name: "no config file", host: "reg.test:5000"},
		{name: "auth field", host: "reg.test:5000",
			config: `{"auths":{"reg.test:5000":{"auth":"` + b64("alice:pa:ss") + `"}}}`,
			want:   AuthConfig{Username: "alice", Password: "pa:ss", ServerAddress: "reg.test:5000"}},
		{name: "username and password fields", host: "reg.test:5000",
			config: `{"auths":{"reg.test:5000":{"username":"bob","password":"pw"}}}`,
			want:   AuthConfig{Username: "bob", Password: "pw", ServerAddress: "reg.test:5000"}},
		{name: "identity token", host: "reg.test:5000",
			config: `{"auths":{"reg.test:5000":{"identitytoken":"tok"}}}`,
			want:   AuthConfig{IdentityToken: "tok", ServerAddress: "reg.test:5000"}},
		{name: "key with scheme and path", host: "reg.test:5000",
			config: `{"auths":{"https://reg.test:5000/v2/":{"auth":"` + b64("c:d") + `"}}}`,
			want:   AuthConfig{Username: "c", Password: "d", ServerAddress: "reg.test:5000"}},
		{name: "hub under the CLI's key", host: "docker.io",
			config: `{"auths":{"https://index.docker.io/v1/":{"auth":"` + b64("h:p") + `"}}}`,
			want:   AuthConfig{Username: "h", Password: "p", ServerAddress: "https://index.docker.io/v1/"}},
		{name: "hub under index.docker.io", host: "docker.io",
			config: `{"auths":{"index.docker.io":{"auth":"` + b64("h:p") + `"}}}`,
			want:   AuthConfig{Username: "h", Password: "p", ServerAddress: "https://index.docker.io/v1/"}},
		{name: "other host has no entry", host: "other.test",
			config: `{"auths":{"reg.test:5000":{"auth":"` + b64("a:b") + `"}}}`},
		{name: "credHelpers", host: "reg.test:5000",
			config: `{"auths":{"reg.test:5000":{}},"credHelpers":{"reg.test:5000":"fake"}}`,
			want:   AuthConfig{Username: "helperuser", Password: "helperpass", ServerAddress: "reg.test:5000"}},
		{name: "credsStore with token", host: "docker.io",
			config: `{"credsStore":"fake"}`,
			want:   AuthConfig{IdentityToken: "refresh", ServerAddress: "https://index.docker.io/v1/"}},
		{name: "credHelpers wins over credsStore", host: "reg.test:5000",
			config: `{"credsStore":"missing-helper","credHelpers":{"reg.test:5000":"fake"}}`,
			want:   AuthConfig{Username: "helperuser", Password: "helperpass", ServerAddress: "reg.test:5000"}},
		{name: "helper has none", host: "nothing.test",
			config: `{"credsStore":"fake","auths":{"nothing.test":{"auth":"` + b64("ignored:x") + `"}}}`},
		{name: "helper fails", host: "broken.test", config: `{"credsStore":"fake"}`,
			wantErr: "asking docker-credential-fake for the credentials of broken.test: exit status 2: keychain locked"},
		{name: "helper missing", host: "reg.test:5000", config: `{"credsStore":"nope"}`,
			wantErr: "docker-credential-nope"},
		{name: "bad json", host: "reg.test:5000", config: `{"auths":`, wantErr: "config.json"},
		{name: "bad auth field", host: "reg.test:5000",
			config:  `{"auths":{"reg.test:5000":{"auth":"` + b64("nocolon") + `"}}}`,
			wantErr: "docker credentials for reg.test:5000: the auth field is not user:password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("DOCKER_CONFIG", dir)
			if tt.config != "" {
				if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(tt.config), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := DockerConfig().Lookup(tt.host)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Lookup error = %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "nocolon") {
					t.Errorf("error shows the credential: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Lookup: %v", err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Lookup(%q) (-want +got):\n%s", tt.host, d)
			}
		})
	}
}
