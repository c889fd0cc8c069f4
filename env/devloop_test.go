package env_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine/enginetest"
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

// TestWatchRestartsAndRebuilds on the fake engine: sync+restart restarts
// the service's container; rebuild builds web's image again and recreates
// only web.
func TestWatchRestartsAndRebuilds(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "web", "Dockerfile"), "FROM scratch\nCOPY . /\n")
	mustWrite(t, filepath.Join(dir, "web", "index.html"), "v1")
	mustWrite(t, filepath.Join(dir, "conf", "a.conf"), "1")
	p, err := config.Parse(filepath.Join(dir, "envs.yaml"), []byte(`name: shop
services:
  db: {image: db}
  api: {image: db}
  web:
    build: ./web
    depends_on: [db]
    develop:
      watch:
        - {path: ./conf, action: sync+restart, target: /conf}
        - {path: ./web, action: rebuild}
`), config.LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	f := enginetest.New()
	f.AddImage("db")
	if _, err := env.Up(t.Context(), f, p, env.UpOptions{Ports: noPorts{}}); err != nil {
		t.Fatal(err)
	}
	before := containerIDs(t, f, "shop")
	actions := make(chan env.WatchAction, 16)
	ready := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- env.Watch(ctx, f, p, env.WatchOptions{
			OnAction: func(a env.WatchAction) { actions <- a },
			OnReady:  func() { ready <- struct{}{} },
			Up:       env.UpOptions{Ports: noPorts{}},
		})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Watch: %v", err)
		}
	}()
	testutil.Receive(t, "watching to start", ready)

	f.ResetCalls()
	mustWrite(t, filepath.Join(p.Dir, "conf", "a.conf"), "2")
	if a := testutil.Receive(t, "the restart", actions); a.String() != "sync+restart web: 1 file → /conf" {
		t.Errorf("action %q", a)
	}
	calls := strings.Join(f.Calls(), " | ")
	if !strings.Contains(calls, "stop shop-web") || !strings.Contains(calls, "start shop-web") {
		t.Errorf("sync+restart: calls %s, want web stopped and started", calls)
	}

	mustWrite(t, filepath.Join(p.Dir, "web", "index.html"), "v2")
	if a := testutil.Receive(t, "the rebuild", actions); a.String() != "rebuild web" {
		t.Errorf("action %q", a)
	}
	after := containerIDs(t, f, "shop")
	if after["web"] == before["web"] || after["api"] != before["api"] || after["db"] != before["db"] {
		t.Errorf("containers before %v, after %v: want only web recreated", before, after)
	}
}
