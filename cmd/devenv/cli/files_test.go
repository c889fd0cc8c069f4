package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A repeated -f merges every file in order; it used to keep only the last.
func TestRepeatedFileFlagsMerge(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.yaml", "name: demo\nservices:\n  web:\n    image: nginx:1\n    environment: [A=1]\n")
	writeFile(t, dir, "b.yaml", "services:\n  web:\n    environment: [B=2]\n")
	writeFile(t, dir, "c.yaml", "services:\n  web:\n    image: nginx:3\n")
	out, errOut, code := runCLI(t, dir, "-f", "a.yaml", "config", "-f", "b.yaml", "--file", "c.yaml")
	for _, want := range []string{"image: nginx:3", "A: \"1\"", "B: \"2\""} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("exit %d, stdout lacks %q:\n%s%s", code, want, out, errOut)
		}
	}
}

func TestComposeFileVariable(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.yaml", "name: demo\nservices:\n  web:\n    image: nginx:1\n")
	writeFile(t, dir, "b.yaml", "services:\n  web:\n    user: me\n")
	t.Setenv("COMPOSE_FILE", "a.yaml"+string(os.PathListSeparator)+"b.yaml")
	out, errOut, code := runCLI(t, dir, "config")
	if code != 0 || !strings.Contains(out, "user: me") || !strings.Contains(out, "image: nginx:1") {
		t.Errorf("exit %d, want both files merged:\n%s%s", code, out, errOut)
	}
}

// Errors in a later file name that file, line and column.
func TestErrorInSecondFileNamesIt(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.yaml", "services:\n  web:\n    image: nginx:1\n")
	writeFile(t, dir, "b.yaml", "services:\n  web:\n    imgae: x\n")
	_, errOut, code := runCLI(t, dir, "-f", "a.yaml", "-f", "b.yaml", "config")
	want := filepath.Join(dir, "b.yaml") + ":3:5: unknown key \"imgae\""
	if code != ExitUsage || !strings.Contains(errOut, want) {
		t.Errorf("exit %d, stderr %q should contain %q", code, errOut, want)
	}
}

func TestFileFromStdin(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	code := Run(t.Context(), []string{"-f", "-", "config", "--services"},
		strings.NewReader("name: demo\nservices:\n  web:\n    image: nginx\n  db:\n    image: postgres\n"), &out, &errb)
	if code != 0 || out.String() != "db\nweb\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}

func TestProfilesAndConfigLists(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "compose.yaml", `name: demo
services:
  web:
    image: nginx:1
    volumes: [data:/data]
  debug:
    image: busybox
    profiles: [debug]
  tools:
    image: alpine
    profiles: [tools, debug]
    volumes: [cache:/cache]
`)
	tests := []struct {
		name string
		env  string // COMPOSE_PROFILES
		args []string
		want string
	}{
		{name: "services without profiles", args: []string{"config", "--services"}, want: "web\n"},
		{name: "--profile", args: []string{"--profile", "tools", "config", "--services"}, want: "tools\nweb\n"},
		{name: "repeated --profile", args: []string{"config", "--services", "--profile", "tools", "--profile", "debug"}, want: "debug\ntools\nweb\n"},
		{name: "COMPOSE_PROFILES", env: "debug", args: []string{"config", "--services"}, want: "debug\ntools\nweb\n"},
		{name: "all profiles", env: "*", args: []string{"config", "--services"}, want: "debug\ntools\nweb\n"},
		{name: "--profiles", args: []string{"config", "--profiles"}, want: "debug\ntools\n"},
		{name: "--images", args: []string{"config", "--images", "--profile", "tools"}, want: "alpine\nnginx:1\n"},
		{name: "--volumes", args: []string{"config", "--volumes"}, want: "data\n"},
		{name: "--services as JSON", args: []string{"config", "--services", "-o", "json"}, want: "[\n  \"web\"\n]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("COMPOSE_PROFILES", tt.env)
			out, errOut, code := runCLI(t, dir, tt.args...)
			if code != 0 || out != tt.want {
				t.Errorf("exit %d, stdout %q, want %q; stderr %q", code, out, tt.want, errOut)
			}
		})
	}
	t.Setenv("COMPOSE_PROFILES", "")
	out, _, code := runCLI(t, dir, "config")
	if code != 0 || strings.Contains(out, "busybox") || !strings.Contains(out, "nginx:1") {
		t.Errorf("config shows services of disabled profiles (exit %d):\n%s", code, out)
	}
}

func TestProjectNamePrecedence(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "compose.yaml", "name: fromfile\nservices:\n  web:\n    image: nginx:1\n")
	t.Setenv("COMPOSE_PROJECT_NAME", "fromenv")
	if out, _, _ := runCLI(t, dir, "config"); !strings.Contains(out, "name: fromenv") {
		t.Errorf("COMPOSE_PROJECT_NAME should beat name:\n%s", out)
	}
	if out, _, _ := runCLI(t, dir, "-p", "fromflag", "config"); !strings.Contains(out, "name: fromflag") {
		t.Errorf("-p should beat COMPOSE_PROJECT_NAME:\n%s", out)
	}
}

func TestCompleteProfiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "compose.yaml", "services:\n  web:\n    image: w:1\n  dbg:\n    image: d:1\n    profiles: [debug, tools]\n")
	got := complete(t, dir, "up", "--profile", "")
	if diff := cmp.Diff([]string{"debug", "tools"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
