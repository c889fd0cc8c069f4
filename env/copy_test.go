package env_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/env"
)

// tree lists a host directory: each path with its mode, and a file's
// content or a link's target.
func tree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		line := rel + " " + info.Mode().String()
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			line += " -> " + target
		case info.Mode().IsRegular():
			data, _ := os.ReadFile(p)
			line += " " + strings.TrimSpace(string(data))
		}
		out = append(out, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A tree copied into a container and back comes back the same, with its
// modes and links; a file copied onto an existing directory lands inside it.
func TestCopyRoundTrip(t *testing.T) {
	ctx := context.Background()
	p := parse(t, "name: cp\nservices:\n  api: {image: api:1}\n")
	f := fakeWith(t, p, nil)
	if _, err := env.Up(ctx, f, p, env.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "src")
	mustWrite := func(name, text string, mode fs.FileMode) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(src, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, name), []byte(text), mode); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite("app.ini", "port = 80", 0o640)
	mustWrite("sub/secret", "s3cret", 0o600)
	if err := os.Symlink("app.ini", filepath.Join(src, "link")); err != nil {
		t.Fatal(err)
	}
	in := env.CopyOptions{Service: "api", HostPath: src, ContainerPath: "/data", ToContainer: true}
	if err := env.Copy(ctx, f, p, in); err != nil {
		t.Fatalf("copy in: %v", err)
	}
	back := filepath.Join(t.TempDir(), "back")
	if err := env.Copy(ctx, f, p, env.CopyOptions{Service: "api", ContainerPath: "/data", HostPath: back}); err != nil {
		t.Fatalf("copy out: %v", err)
	}
	want := tree(t, src)
	// The fake keeps directories and regular files only.
	var noLinks []string
	for _, l := range want {
		if !strings.HasPrefix(l, "link ") {
			noLinks = append(noLinks, l)
		}
	}
	if diff := cmp.Diff(noLinks, tree(t, back)); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	// Onto an existing directory: inside it, under the source's name.
	dir := t.TempDir()
	if err := env.Copy(ctx, f, p, env.CopyOptions{Service: "api", ContainerPath: "/data/sub/secret", HostPath: dir}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{". " + modeOf(t, dir), "secret -rw------- s3cret"}, tree(t, dir)); diff != "" {
		t.Errorf("file onto a directory (-want +got):\n%s", diff)
	}
}

func modeOf(t *testing.T, p string) string {
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode().String()
}

// Copying a directory onto a file of the container is refused.
func TestCopyDirectoryOntoFile(t *testing.T) {
	ctx := context.Background()
	p := parse(t, "name: cpf\nservices:\n  api: {image: api:1}\n")
	f := fakeWith(t, p, nil)
	if _, err := env.Up(ctx, f, p, env.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := env.Copy(ctx, f, p, env.CopyOptions{Service: "api", HostPath: file, ContainerPath: "/f", ToContainer: true}); err != nil {
		t.Fatal(err)
	}
	err := env.Copy(ctx, f, p, env.CopyOptions{Service: "api", HostPath: t.TempDir(), ContainerPath: "/f", ToContainer: true})
	if err == nil || !strings.Contains(err.Error(), "it is a file in the container") {
		t.Errorf("directory onto a file: %v", err)
	}
}
