package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeFiles creates files (path -> content) under a fresh directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestFindFile(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"envs.yaml":              "services: {web: {image: nginx}}\n",
		"sub/deeper/keep":        "",
		"other/custom.yaml":      "services: {web: {image: nginx}}\n",
		"other/nested/envs.yaml": "services: {web: {image: nginx}}\n",
	})
	tests := []struct {
		name    string
		opts    LoadOptions
		env     map[string]string
		want    string
		wantErr string
	}{
		{name: "in work dir", opts: LoadOptions{WorkDir: dir}, want: "envs.yaml"},
		{name: "parent search", opts: LoadOptions{WorkDir: filepath.Join(dir, "sub/deeper")}, want: "envs.yaml"},
		{name: "nearest wins", opts: LoadOptions{WorkDir: filepath.Join(dir, "other/nested")}, want: "other/nested/envs.yaml"},
		{name: "flag relative to work dir", opts: LoadOptions{WorkDir: filepath.Join(dir, "other"), File: "custom.yaml"}, want: "other/custom.yaml"},
		{name: "flag beats env", opts: LoadOptions{WorkDir: dir, File: "envs.yaml"}, env: map[string]string{"DEVENV_FILE": "other/custom.yaml"}, want: "envs.yaml"},
		{name: "DEVENV_FILE", opts: LoadOptions{WorkDir: dir}, env: map[string]string{"DEVENV_FILE": "other/custom.yaml"}, want: "other/custom.yaml"},
		{name: "DEVENV_FILE missing", opts: LoadOptions{WorkDir: dir}, env: map[string]string{"DEVENV_FILE": "nope.yaml"},
			wantErr: "nope.yaml (from DEVENV_FILE) does not exist"},
		{name: "flag missing", opts: LoadOptions{WorkDir: dir, File: "nope.yaml"}, wantErr: "nope.yaml (from -f) does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.LookupEnv = lookupIn(tt.env)
			got, err := FindFile(tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(filepath.Join(dir, tt.want), got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFindFileNotFound(t *testing.T) {
	dir := t.TempDir()
	_, err := FindFile(LoadOptions{WorkDir: dir, LookupEnv: lookupIn(nil)})
	if !errors.Is(err, ErrNoFile) {
		t.Fatalf("err = %v, want ErrNoFile", err)
	}
	for _, want := range []string{"envs.yaml", dir, "-f FILE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"My Project!/envs.yaml": "services:\n  web:\n    image: nginx:${TAG}\n    env_file: web.env\n    volumes: [\"./html:/usr/share/nginx/html:ro\", \"~/x:/x\"]\n",
		"My Project!/.env":      "TAG=from-dotenv\nOTHER='quoted # kept'\n",
		"My Project!/web.env":   "A=1\n\n# comment\nB=\"two\\nlines\"\n",
	})
	work := filepath.Join(dir, "My Project!")
	p, err := Load(LoadOptions{WorkDir: work, LookupEnv: lookupIn(map[string]string{"HOME": "/home/dev"})})
	if err != nil {
		t.Fatal(err)
	}
	want := &Project{
		Name: "myproject", File: filepath.Join(work, "envs.yaml"), Dir: work,
		Files:        []string{filepath.Join(work, "envs.yaml")},
		Environments: map[string][]string{},
		Volumes:      map[string]*Volume{}, Networks: map[string]*Network{},
		Secrets: map[string]*FileObject{}, Configs: map[string]*FileObject{},
		Services: map[string]*Service{"web": {
			Name: "web", Image: "nginx:from-dotenv", PullPolicy: "missing", Restart: "no",
			Environment: map[string]string{"A": "1", "B": "two\nlines"},
			Labels:      map[string]string{}, DependsOn: map[string]Dependency{},
			Volumes: []Mount{
				{Type: MountBind, Source: filepath.Join(work, "html"), Target: "/usr/share/nginx/html", ReadOnly: true, CreateHostPath: true},
				{Type: MountBind, Source: "/home/dev/x", Target: "/x", CreateHostPath: true},
			},
		}},
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The process environment overrides .env.
	p, err = Load(LoadOptions{WorkDir: work, LookupEnv: lookupIn(map[string]string{"HOME": "/h", "TAG": "env"})})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Services["web"].Image; got != "nginx:env" {
		t.Errorf("image = %q, want nginx:env", got)
	}
}

func TestErrorListAs(t *testing.T) {
	_, err := Parse("envs.yaml", []byte("services:\n  web: {imgae: x}\n  api: {image: y, restart: nope}\n"), LoadOptions{LookupEnv: lookupIn(nil)})
	var list *ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("errors.As(*ErrorList) failed for %T", err)
	}
	var value ErrorList
	if !errors.As(err, &value) || len(value) != len(*list) {
		t.Fatalf("errors.As(ErrorList) = %v", value)
	}
	var first *Error
	if !errors.As(err, &first) {
		t.Fatal("errors.As(*Error) failed")
	}
	got := []string{}
	for _, e := range *list {
		got = append(got, e.Error())
	}
	want := []string{
		`envs.yaml:2:3: service "web" has no image; add image: NAME[:TAG], or build: DIR to build it`,
		`envs.yaml:2:9: unknown key "imgae" in service "web" (did you mean "image"?)`,
		`envs.yaml:3:28: service "api" restart "nope" is invalid; use one of no, always, on-failure, on-failure:N, unless-stopped`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if first != (*list)[0] {
		t.Errorf("errors.As(*Error) = %v, want the first error", first)
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  Error
		want string
	}{
		{name: "full", err: Error{File: "f", Line: 2, Column: 3, Msg: "m"}, want: "f:2:3: m"},
		{name: "line only", err: Error{File: "f", Line: 2, Msg: "m"}, want: "f:2: m"},
		{name: "file only", err: Error{File: "f", Msg: "m"}, want: "f: m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.err.Error()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestProjectNameFromDir(t *testing.T) {
	tests := []struct{ name, dir, want string }{
		{name: "lowercased", dir: "Chuye", want: "chuye"},
		{name: "sanitized", dir: "My App (v2).d", want: "myappv2d"},
		{name: "leading separators dropped", dir: "_-x", want: "x"},
		{name: "nothing left", dir: "!!!", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sanitizeName(tt.dir); got != tt.want {
				t.Errorf("sanitizeName(%q) = %q, want %q", tt.dir, got, tt.want)
			}
		})
	}
}
