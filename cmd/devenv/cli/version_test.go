package cli

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadVersion(t *testing.T) {
	workTree := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "6cae080a1b2c3d4e5f60718293a4b5c6d7e8f901"},
			{Key: "vcs.time", Value: "2026-05-01T09:00:00Z"}, {Key: "vcs.modified", Value: "true"},
			{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"}}}
	release := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"},
		Settings: []debug.BuildSetting{{Key: "GOOS", Value: "darwin"}, {Key: "GOARCH", Value: "arm64"}}}
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		set  buildVersion // -ldflags -X
		want string
	}{
		{name: "no build info", bi: nil,
			want: "devenv unknown\ncommit  unknown\nbuilt   unknown\ngo      unknown unknown\n"},
		{name: "work tree with changes", bi: workTree,
			want: "devenv (devel)\ncommit  6cae080a1b2c (with uncommitted changes)\nbuilt   2026-05-01T09:00:00Z\ngo      go1.26.8 linux/amd64\n"},
		{name: "go install of a release", bi: release,
			want: "devenv v1.2.3\ncommit  unknown\nbuilt   unknown\ngo      go1.26.8 darwin/arm64\n"},
		{name: "ldflags win", bi: workTree, set: buildVersion{Version: "v2.0.0", Commit: "abcdef", Date: "2026-06-01"},
			want: "devenv v2.0.0\ncommit  abcdef (with uncommitted changes)\nbuilt   2026-06-01\ngo      go1.26.8 linux/amd64\n"},
		{name: "ldflags without build info", bi: nil, set: buildVersion{Version: "v2.0.0"},
			want: "devenv v2.0.0\ncommit  unknown\nbuilt   unknown\ngo      unknown unknown\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, readVersion(tt.bi, tt.set).String()); diff != "" {
				t.Errorf("version (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, errOut, code := runCLI(t, t.TempDir(), args...)
		if code != 0 || !strings.HasPrefix(out, "devenv ") || !strings.Contains(out, "\nbuilt   ") {
			t.Errorf("devenv %v: code %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	out, _, code := runCLI(t, t.TempDir(), "version", "--short")
	if code != 0 || strings.Count(out, "\n") != 1 || strings.HasPrefix(out, "devenv") {
		t.Errorf("devenv version --short: code %d, stdout %q", code, out)
	}
	out, _, code = runCLI(t, t.TempDir(), "version", "-o", "json")
	var v buildVersion
	if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil || v.Version == "" || v.Commit == "" || v.Go == "" {
		t.Errorf("devenv version -o json: code %d, %v: %s", code, err, out)
	}
}

// A release build sets the version, commit and date with -ldflags -X.
func TestVersionFromLinkerFlags(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "devenv")
	pkg := "github.com/devenv-dev/devenv/cmd/devenv/cli"
	ld := "-X " + pkg + ".version=v9.8.7 -X " + pkg + ".commit=0123456789abcdef -X " + pkg + ".buildDate=2026-07-01T00:00:00Z"
	if out, err := exec.Command("go", "build", "-ldflags", ld, "-o", bin, "github.com/devenv-dev/devenv/cmd/devenv").CombinedOutput(); err != nil {
		t.Fatalf("building devenv: %v\n%s", err, out)
	}
	out, errOut, code := runDevenv(t, bin, "--version")
	if code != 0 || !strings.HasPrefix(out, "devenv v9.8.7\ncommit  0123456789ab") || !strings.Contains(out, "built   2026-07-01T00:00:00Z") {
		t.Errorf("--version of a release build: exit %d\n%s%s", code, out, errOut)
	}
}
