package env_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/internal/imagebuild/imagebuildtest"
)

// images are this test binary's own (imagebuildtest): testImage, the
// static test service, is built once and removed by TestMain.
var (
	images    = imagebuildtest.New()
	testImage = images.Ref("testsvc")
)

// removeImages removes the run's images once its tests (and their
// cleanups, which remove the projects) are done.
func removeImages() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return err
	}
	defer cli.Close()
	return images.Remove(ctx, cli)
}

// dockerEngine returns the real engine, skipping under -short and failing
// loudly when it cannot be reached: integration tests never pass silently.
func dockerEngine(t *testing.T) *engine.Docker {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs the Docker Engine (run without -short)")
	}
	eng, err := engine.NewDocker(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	if err := eng.Ping(t.Context()); err != nil {
		t.Fatalf("the Docker Engine is required for this test: %v", err)
	}
	if _, err := images.Testsvc(t.Context(), eng.Client()); err != nil {
		t.Fatalf("building the test image: %v", err)
	}
	return eng
}

// project writes envs.yaml (with IMAGE and NAME replaced) into a temp dir,
// loads it, and removes everything of the project when the test ends.
func project(t *testing.T, eng engine.Engine, yaml string) *config.Project {
	t.Helper()
	name := uniqueName()
	p := loadYAML(t, t.TempDir(), name, yaml)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := env.Down(ctx, eng, name, env.DownOptions{Volumes: true, Timeout: time.Second}); err != nil {
			t.Errorf("cleaning up project %s: %v", name, err)
		}
	})
	return p
}

func loadYAML(t *testing.T, dir, name, yaml string) *config.Project {
	t.Helper()
	yaml = strings.ReplaceAll(yaml, "IMAGE", testImage)
	yaml = strings.ReplaceAll(yaml, "NAME", name)
	file := filepath.Join(dir, "envs.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := config.Load(config.LoadOptions{File: file})
	if err != nil {
		t.Fatalf("loading test config: %v", err)
	}
	return p
}

func uniqueName() string {
	b := make([]byte, 4)
	rand.Read(b)
	return "it" + hex.EncodeToString(b)
}

// recorder collects events.
type recorder struct {
	mu     sync.Mutex
	events []env.Event
}

func (r *recorder) Report(e env.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) statuses(service string) []env.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []env.Status
	for _, e := range r.events {
		if e.Kind == env.KindService && e.Name == service {
			out = append(out, e.Status)
		}
	}
	return out
}

// containerIDs maps service -> container ID of the project.
func containerIDs(t *testing.T, eng engine.Engine, project string) map[string]string {
	t.Helper()
	obs, err := eng.Observe(t.Context(), project)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, c := range obs.Containers {
		if _, dup := ids[c.Service]; dup {
			t.Errorf("service %s has more than one container", c.Service)
		}
		ids[c.Service] = c.ID
	}
	return ids
}

func itoa(i int) string { return strconv.Itoa(i) }
