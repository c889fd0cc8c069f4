package imagebuild

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/devenv-dev/devenv/internal/testutil"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

const testsvcPkg = "github.com/devenv-dev/devenv/examples/testsvc"

// engine returns a client for the local Docker Engine. The test is skipped
// only under -short; an unreachable engine otherwise fails it, because a
// silently skipped integration test proves nothing.
func engine(t *testing.T) *client.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a Docker Engine; skipped with -short")
	}
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatalf("creating Docker client: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	if _, err := cli.Ping(t.Context()); err != nil {
		t.Fatalf("Docker Engine unreachable (%v); start dockerd or run with -short", err)
	}
	return cli
}

func TestBuildLoadRunTestsvc(t *testing.T) {
	cli := engine(t)
	ctx := t.Context()
	// A tag and a label of this run's own: a concurrent run neither shares
	// the image (its ID) nor removes it under us.
	run := randomHex(t)
	ref := "devenv-imagebuild-test-" + run + "/testsvc:test"
	opts := ImageOptions{
		ExposedPorts: []string{"8080"},
		Labels:       map[string]string{"devenv.test": "imagebuild", "dev.devenv.test-run": run},
		Healthcheck: &v1.HealthConfig{Test: []string{"CMD", "/app", "health"},
			Interval: 200 * time.Millisecond, Timeout: 2 * time.Second, Retries: 50},
	}
	id, err := BuildAndLoad(ctx, cli, testsvcPkg, ref, opts)
	if err != nil {
		t.Fatal(err)
	}
	// t.Context is already cancelled when cleanups run.
	t.Cleanup(func() {
		if _, err := cli.ImageRemove(context.Background(), ref, image.RemoveOptions{}); err != nil {
			t.Errorf("removing %s: %v", ref, err)
		}
	})

	again, err := BuildAndLoad(ctx, cli, testsvcPkg, ref, opts)
	if err != nil {
		t.Fatal(err)
	}
	if again != id {
		t.Errorf("rebuilding unchanged sources gave image %s, first build %s", again, id)
	}
	inspected, err := cli.ImageInspect(ctx, ref)
	if err != nil {
		t.Fatalf("inspecting loaded image: %v", err)
	}
	if inspected.ID != id || inspected.Os != "linux" || inspected.Config.Labels["devenv.test"] != "imagebuild" {
		t.Fatalf("loaded image = %s %s labels %v; want %s linux with label",
			inspected.ID, inspected.Os, inspected.Config.Labels, id)
	}
	runUntilHealthyThenStop(t, cli, ref)
}

// runUntilHealthyThenStop starts ref, waits for the image's healthcheck
// (which runs `/app health` inside the container) to pass, then stops it
// and expects testsvc's clean SIGTERM exit.
func runUntilHealthyThenStop(t *testing.T, cli *client.Client, ref string) {
	ctx := t.Context()
	created, err := cli.ContainerCreate(ctx, &container.Config{Image: ref, Cmd: []string{"-ready-after", "300ms"}},
		nil, nil, nil, "")
	if err != nil {
		t.Fatalf("creating container: %v", err)
	}
	t.Cleanup(func() {
		cli.ContainerRemove(context.Background(), created.ID, container.RemoveOptions{Force: true})
	})
	if err := cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		t.Fatalf("starting container: %v", err)
	}
	testutil.EventuallyNoError(t, "the image's healthcheck to pass", func() error {
		c, err := cli.ContainerInspect(ctx, created.ID)
		switch {
		case err != nil:
			t.Fatal(err)
		case c.State.Health != nil && c.State.Health.Status == "healthy":
			return nil
		case !c.State.Running:
			t.Fatalf("container exited before it became healthy: %+v\n%s", c.State, logs(t, cli, created.ID))
		}
		return fmt.Errorf("health %+v", c.State.Health)
	})
	timeout := 5
	start := time.Now()
	if err := cli.ContainerStop(ctx, created.ID, container.StopOptions{Timeout: &timeout}); err != nil {
		t.Fatalf("stopping container: %v", err)
	}
	c, err := cli.ContainerInspect(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.State.ExitCode != 0 || time.Since(start) > 3*time.Second {
		t.Errorf("stop took %s with exit code %d; want a prompt exit 0", time.Since(start), c.State.ExitCode)
	}
	if out := logs(t, cli, created.ID); !strings.Contains(out, "msg=ready") || !strings.Contains(out, "msg=stopped") {
		t.Errorf("container logs lack ready/stopped lines:\n%s", out)
	}
}

func logs(t *testing.T, cli *client.Client, id string) string {
	rc, err := cli.ContainerLogs(t.Context(), id, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return "logs: " + err.Error()
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}

func randomHex(t *testing.T) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
