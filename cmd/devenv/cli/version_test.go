package cli

import (
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadVersion(t *testing.T) {
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{name: "no build info", bi: nil, want: "devenv unknown\n"},
		{name: "work tree with changes", bi: &debug.BuildInfo{
			GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "6cae080a1b2c3d4e5f60718293a4b5c6d7e8f901"},
				{Key: "vcs.modified", Value: "true"}, {Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"}},
		}, want: "devenv (devel)\ncommit  6cae080a1b2c (with uncommitted changes)\ngo      go1.26.8 linux/amd64\n"},
		{name: "go install of a release", bi: &debug.BuildInfo{
			GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"},
			Settings: []debug.BuildSetting{{Key: "GOOS", Value: "darwin"}, {Key: "GOARCH", Value: "arm64"}},
		}, want: "devenv v1.2.3\ngo      go1.26.8 darwin/arm64\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, readVersion(tt.bi).String()); diff != "" {
				t.Errorf("version (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, errOut, code := runCLI(t, t.TempDir(), args...)
		if code != 0 || !strings.HasPrefix(out, "devenv ") {
			t.Errorf("devenv %v: code %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	out, _, code := runCLI(t, t.TempDir(), "version", "--short")
	if code != 0 || strings.Count(out, "\n") != 1 || strings.HasPrefix(out, "devenv") {
		t.Errorf("devenv version --short: code %d, stdout %q", code, out)
	}
}
