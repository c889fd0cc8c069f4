package main

import (
	"net"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/devenv-dev/devenv/internal/imagebuild"
)

// TestPushToRegistry pushes through imagebuild.Push to the registry
// quickstart serves and reads the tag back, as the engine would.
func TestPushToRegistry(t *testing.T) {
	reg, err := startRegistry("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	ref := reg.Addr + "/" + repoPrefix + "/store:dev"

	digest, err := imagebuild.Push(t.Context(), img, ref)
	if err != nil {
		t.Fatalf("Push: %v", err)
	}
	tag, err := name.NewTag(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(tag, remote.WithContext(t.Context()))
	if err != nil {
		t.Fatalf("reading the tag back: %v", err)
	}
	if desc.Digest.String() != digest {
		t.Errorf("registry serves %s under %s; Push returned %s", desc.Digest, ref, digest)
	}
}

func TestStartRegistryPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = startRegistry(ln.Addr().String())
	if err == nil {
		t.Fatal("startRegistry on a taken port succeeded")
	}
	for _, want := range []string{ln.Addr().String(), "already in use", addrEnv + "="} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name   string
		script string
		want   int
	}{
		{name: "success", script: "exit 0", want: 0},
		{name: "failure code passes through", script: "exit 3", want: 3},
		{name: "killed by SIGTERM", script: "kill -TERM $$", want: 143},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := exitCode(exec.Command("sh", "-c", tt.script).Run())
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("exitCode = %d, want %d", got, tt.want)
			}
		})
	}
}
