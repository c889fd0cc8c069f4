package env_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/internal/testutil"
)

func TestWatchNamesServicesWithoutDevelop(t *testing.T) {
	dir := t.TempDir()
	p := parse(t, "name: shop\nservices:\n  db: {image: db:1}\n  web:\n    image: web:1\n    develop: {watch: [{path: "+dir+", action: sync, target: /app}]}\n")
	f := fakeWith(t, p, nil)
	err := env.Watch(t.Context(), f, p, env.WatchOptions{Services: []string{"db"}})
	if !errors.Is(err, env.ErrNoWatch) || !strings.Contains(err.Error(), `service "db" has no develop.watch`) || !strings.HasSuffix(err.Error(), ": web") {
		t.Errorf("watching db: %v, want ErrNoWatch naming db and, as the ones to name, web", err)
	}
	bare := parse(t, "name: shop\nservices:\n  db: {image: db:1}\n")
	if err := env.Watch(t.Context(), f, bare, env.WatchOptions{}); !errors.Is(err, env.ErrNoWatch) {
		t.Errorf("watching a project without develop.watch: %v, want ErrNoWatch", err)
	}
	if err := env.Watch(t.Context(), f, p, env.WatchOptions{Services: []string{"wbe"}}); err == nil || !strings.Contains(err.Error(), "wbe") {
		t.Errorf("watching an unknown service: %v, want an error naming it", err)
	}
}

// TestWatchSyncsIntoTheContainer runs the loop on the fake engine: an
// initial sync, a changed file, a deleted one and a sync+exec.
func TestWatchSyncsIntoTheContainer(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "src", "old.txt"), "old")
	mustWrite(t, filepath.Join(dir, "src", "skip.tmp"), "no")
	mustWrite(t, filepath.Join(dir, "conf", "app.conf"), "a=1")
	p := parse(t, `name: shop
services:
  web:
    image: web:1
    develop:
      watch:
        - {path: `+dir+`/src, action: sync, target: /app, ignore: ["*.tmp"], initial_sync: true}
        - {path: `+dir+`/conf, action: sync+exec, target: /etc/app, exec: {command: reload}}
`)
	f := fakeWith(t, p, nil)
	if _, err := env.Up(t.Context(), f, p, env.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	id := containerIDs(t, f, "shop")["web"]
	actions := make(chan env.WatchAction, 16)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- env.Watch(ctx, f, p, env.WatchOptions{OnAction: func(a env.WatchAction) { actions <- a }})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Watch: %v", err)
		}
	}()

	want := func(line string) {
		t.Helper()
		if a := testutil.Receive(t, line, actions); a.String() != line {
			t.Errorf("action %q, want %q", a.String(), line)
		}
	}
	want("sync web: 1 file → /app")
	if got, _ := f.File(id, "/app/old.txt"); got != "old" {
		t.Errorf("/app/old.txt after the initial sync = %q, want old", got)
	}
	mustWrite(t, filepath.Join(dir, "src", "new", "a.txt"), "new")
	want("sync web: 1 file → /app")
	if got, _ := f.File(id, "/app/new/a.txt"); got != "new" {
		t.Errorf("/app/new/a.txt = %q, want new", got)
	}
	if err := os.Remove(filepath.Join(dir, "src", "old.txt")); err != nil {
		t.Fatal(err)
	}
	want("sync web: 1 file → /app")
	mustWrite(t, filepath.Join(dir, "conf", "app.conf"), "a=2")
	want("sync+exec web: 1 file → /etc/app")
	if got, _ := f.File(id, "/etc/app/app.conf"); got != "a=2" {
		t.Errorf("/etc/app/app.conf = %q, want a=2", got)
	}
	calls := strings.Join(f.Calls(), "\n")
	if strings.Count(calls, "exec shop-web") < 2 {
		t.Errorf("want an exec for the deletion and one for the command, calls:\n%s", calls)
	}
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
