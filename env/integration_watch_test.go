package env_test

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/internal/testutil"
)

// readInContainer reads one file of a container through the engine's
// archive API.
func readInContainer(ctx context.Context, eng *engine.Docker, id, path string) (string, error) {
	rc, _, err := eng.Client().CopyFromContainer(ctx, id, path)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	if _, err := tr.Next(); err != nil {
		return "", err
	}
	data, err := io.ReadAll(tr)
	return string(data), err
}

const watchDockerfile = `FROM scratch
LABEL dev.devenv.test=NAME
COPY app /app
COPY version.txt /version.txt
`

// TestWatchSyncsAndRebuilds: a changed file is in the container, and a
// changed build context has the service rebuilt and recreated (and only
// it), each within two seconds of the change.
func TestWatchSyncsAndRebuilds(t *testing.T) {
	eng := dockerEngine(t)
	dir, name := t.TempDir(), uniqueName()
	buildTree(t, dir, name, map[string]string{
		"web/Dockerfile": watchDockerfile, "web/version.txt": "1", "web/.dockerignore": "*.log\n",
		"src/keep.txt": "here",
	}, "web/app")
	p := buildProjectOnEngine(t, eng, dir, name, `
name: NAME
services:
  db: {image: IMAGE}
  web:
    build: web
    command: ["/app"]
    depends_on: [db]
    stop_grace_period: 1s
    develop:
      watch:
        - {path: ./src, action: sync, target: /srv}
        - {path: ./web, action: rebuild}
`)
	if _, err := env.Up(t.Context(), eng, p, env.UpOptions{Timeout: 2 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	before := containerIDs(t, eng, name)
	actions := watchInBackground(t, eng, p)

	start := time.Now()
	mustWrite(t, filepath.Join(dir, "src", "sub", "hello.txt"), "hi")
	a := testutil.Receive(t, "the sync", actions, testutil.Within(2*time.Second))
	if a.String() != "sync web: 1 file → /srv" {
		t.Errorf("action %q, want sync web: 1 file → /srv", a)
	}
	got, err := readInContainer(t.Context(), eng, before["web"], "/srv/sub/hello.txt")
	if err != nil || got != "hi" {
		t.Errorf("/srv/sub/hello.txt in the container: %q, %v; want hi", got, err)
	}
	t.Logf("synced in %s", time.Since(start).Round(time.Millisecond))

	// A change .dockerignore leaves out does nothing; the next one rebuilds.
	mustWrite(t, filepath.Join(dir, "web", "debug.log"), "noise")
	start = time.Now()
	mustWrite(t, filepath.Join(dir, "web", "version.txt"), "2")
	// The classic builder commits a layer per step (about a second each on
	// a loaded two-core machine), which bounds this more than watching does.
	a = testutil.Receive(t, "the rebuild", actions, testutil.Within(10*time.Second))
	if a.String() != "rebuild web" {
		t.Errorf("action %q, want rebuild web", a)
	}
	t.Logf("rebuilt and recreated in %s", time.Since(start).Round(time.Millisecond))
	after := containerIDs(t, eng, name)
	if after["web"] == before["web"] || after["db"] != before["db"] {
		t.Errorf("containers before %v, after %v: want web recreated and db kept", before, after)
	}
	if got, err := readInContainer(t.Context(), eng, after["web"], "/version.txt"); err != nil || got != "2" {
		t.Errorf("/version.txt in the new container: %q, %v; want 2", got, err)
	}

	// FROM scratch has no rm: a deletion fails, saying so, and watching goes on.
	if err := os.Remove(filepath.Join(dir, "src", "keep.txt")); err != nil {
		t.Fatal(err)
	}
	a = testutil.Receive(t, "the failed deletion", actions)
	if a.Err == nil || !strings.Contains(a.Err.Error(), "needs rm") {
		t.Errorf("deleting in an image without rm: %v, want an error saying rm is needed", a.Err)
	}
}

// watchInBackground runs Watch until the test ends; its actions arrive on
// the returned channel.
func watchInBackground(t *testing.T, eng engine.Engine, p *config.Project) <-chan env.WatchAction {
	t.Helper()
	actions := make(chan env.WatchAction, 16)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	ready := make(chan struct{}, 1)
	go func() {
		done <- env.Watch(ctx, eng, p, env.WatchOptions{
			Up:       env.UpOptions{NoWait: true, Progress: env.ReporterFunc(func(e env.Event) { t.Logf("%s %s %s %s", time.Now().Format("05.000"), e.Name, e.Status, e.Detail) })},
			OnAction: func(a env.WatchAction) { actions <- a },
			OnReady:  func() { ready <- struct{}{} },
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Watch: %v", err)
		}
	})
	testutil.Receive(t, "watching to start", ready)
	return actions
}
