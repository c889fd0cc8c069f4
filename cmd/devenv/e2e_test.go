package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/internal/imagebuild/imagebuildtest"
	"github.com/devenv-dev/devenv/internal/testutil"
)

// These tests run the real binary against the real engine, for what only a
// process can show: kill -9 and Ctrl-C at any moment, exit codes, messages.

// images are this test binary's own (imagebuildtest): testImage, the
// static test service, is built once and removed by TestMain after every
// test has taken its project down.
var (
	images    = imagebuildtest.New()
	testImage = images.Ref("testsvc")
)

var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "devenv-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "devenv")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building devenv: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if err := removeTestImages(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// removeTestImages removes the run's images, the test service and those
// pulled from test registries.
func removeTestImages() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return err
	}
	defer cli.Close()
	return images.Remove(ctx, cli)
}

// setup returns a directory holding envs.yaml for a fresh project, with the
// test image built, and removes the project at the end.
func setup(t *testing.T, yaml string) (dir, project string) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: needs the Docker Engine (run without -short)")
	}
	ctx := t.Context()
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if _, err := cli.Ping(ctx); err != nil {
		t.Fatalf("the Docker Engine is required for this test: %v", err)
	}
	if _, err := images.Testsvc(ctx, cli); err != nil {
		t.Fatalf("building the test image: %v", err)
	}
	b := make([]byte, 4)
	rand.Read(b)
	project = "e2e" + hex.EncodeToString(b)
	dir = t.TempDir()
	yaml = strings.ReplaceAll(strings.ReplaceAll(yaml, "IMAGE", testImage), "NAME", project)
	if err := os.WriteFile(filepath.Join(dir, "envs.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if out, code := run(t, dir, "-p", project, "down", "-v", "-t", "1s"); code != 0 {
			t.Errorf("cleanup down: exit %d\n%s", code, out)
		}
	})
	return dir, project
}

// run runs devenv in dir and returns its combined output and exit code.
func run(t *testing.T, dir string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"--progress", "plain"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil && cmd.ProcessState == nil {
		t.Fatalf("running devenv %v: %v", args, err)
	}
	return string(out), cmd.ProcessState.ExitCode()
}

const stack = `
name: NAME
services:
  db:
    image: IMAGE
    environment: {TESTSVC_READY_AFTER: 300ms}
    healthcheck: {test: ["CMD", "/app", "health"], interval: 1s, timeout: 1s, retries: 10}
    volumes: ["data:/data"]
  migrate:
    image: IMAGE
    command: ["-exit", "0"]
    depends_on: {db: {condition: service_healthy}}
  api:
    image: IMAGE
    command: ["-deps", "http://db:8080"]
    healthcheck: {test: ["CMD", "/app", "health"], interval: 1s, timeout: 1s, retries: 10}
    depends_on: {db: {condition: service_healthy}, migrate: {condition: service_completed_successfully}}
  web:
    image: IMAGE
    command: ["-deps", "http://api:8080"]
    healthcheck: {test: ["CMD", "/app", "health"], interval: 1s, timeout: 1s, retries: 10}
    depends_on: [api]
`

// assertConverged checks a further up changes nothing and every service has
// exactly one container in the expected state.
func assertConverged(t *testing.T, dir, project string) {
	t.Helper()
	out, code := run(t, dir, "up", "--timeout", "60s")
	if code != 0 {
		plan, _ := run(t, dir, "up", "--dry-run")
		t.Fatalf("converging up: exit %d\n%s\nplan now:\n%s", code, out, plan)
	}
	out, code = run(t, dir, "--progress", "json", "up")
	if code != 0 {
		t.Fatalf("second up: exit %d\n%s", code, out)
	}
	if strings.Contains(out, `"status":"creating"`) || strings.Contains(out, `"status":"recreating"`) {
		t.Errorf("up after convergence was not a no-op:\n%s", out)
	}
	out, code = run(t, dir, "ps", "--output", "json")
	if code != 0 {
		t.Fatalf("ps: exit %d\n%s", code, out)
	}
	var rows []struct {
		Service, State string
		ExitCode       int `json:"exit_code"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("ps --output json: %v\n%s", err, out)
	}
	count := map[string]int{}
	for _, r := range rows {
		count[r.Service]++
		want := "running"
		if r.Service == "migrate" {
			want = "exited"
		}
		if r.State != want || r.ExitCode != 0 {
			t.Errorf("%s: %s (%d), want %s", r.Service, r.State, r.ExitCode, want)
		}
	}
	for _, s := range []string{"db", "migrate", "api", "web"} {
		if count[s] != 1 {
			t.Errorf("service %s has %d containers, want 1", s, count[s])
		}
	}
}

func TestKillNineAtAnyMomentThenUpConverges(t *testing.T) {
	dir, project := setup(t, stack)
	for _, after := range []time.Duration{30 * time.Millisecond, 150 * time.Millisecond, 400 * time.Millisecond, 700 * time.Millisecond, 1100 * time.Millisecond, 1600 * time.Millisecond} {
		t.Run(after.String(), func(t *testing.T) {
			if out, code := run(t, dir, "down", "-t", "1s"); code != 0 {
				t.Fatalf("down: %d\n%s", code, out)
			}
			cmd := exec.Command(binary, "--progress", "plain", "up")
			cmd.Dir = dir
			var buf bytes.Buffer
			cmd.Stdout, cmd.Stderr = &buf, &buf
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Not a wait for anything: the moment of the kill is what varies.
			time.Sleep(after)
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			t.Logf("killed after %s; it had printed:\n%s", after, buf.String())
			assertConverged(t, dir, project)
		})
	}
}

func TestCtrlCStopsPromptlyAndUpConverges(t *testing.T) {
	dir, project := setup(t, strings.Replace(stack, "TESTSVC_READY_AFTER: 300ms", "TESTSVC_READY_AFTER: 3s", 1))
	cmd := exec.Command(binary, "--progress", "plain", "up")
	cmd.Dir = dir
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitState(t, project, "db", "running") // and waiting 3s to be healthy
	sent := time.Now()
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	if took := time.Since(sent); took > 2*time.Second {
		t.Errorf("up took %s to stop after Ctrl-C", took)
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit code after Ctrl-C = %d, want 130\n%s", code, buf.String())
	}
	assertConverged(t, dir, project)
}

// waitState waits for the container of the project's service to be in
// state.
func waitState(t *testing.T, project, service, state string) {
	t.Helper()
	eng, err := engine.NewDocker(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	testutil.EventuallyNoError(t, service+" "+state, func() error {
		obs, err := eng.Observe(t.Context(), project)
		if err != nil {
			return err
		}
		for _, c := range obs.Containers {
			if c.Service == service && c.State == state {
				return nil
			}
		}
		return fmt.Errorf("containers %+v", obs.Containers)
	})
}

func TestInvalidConfigCreatesNothing(t *testing.T) {
	dir, project := setup(t, `
name: NAME
services:
  web:
    image: IMAGE
    depends_on: [dbb]
  db:
    imag: IMAGE
`)
	out, code := run(t, dir, "up")
	if code != 2 {
		t.Errorf("exit code %d, want 2 for an invalid envs.yaml", code)
	}
	for _, want := range []string{"envs.yaml:6:18", `"dbb"`, "envs.yaml:8:5", `"imag"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	eng, err := engine.NewDocker(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	obs, err := eng.Observe(t.Context(), project)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs.Containers)+len(obs.Networks)+len(obs.Volumes) != 0 {
		t.Errorf("an invalid config created objects: %+v", obs)
	}
}

func TestEngineUnreachableIsOneClearLine(t *testing.T) {
	dir, _ := setup(t, stack)
	cmd := exec.Command(binary, "up")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DOCKER_HOST=unix:///nonexistent/docker.sock")
	out, _ := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 3 {
		t.Errorf("exit code %d, want 3", code)
	}
	text := strings.TrimSpace(string(out))
	if strings.Count(text, "\n") != 0 || !strings.Contains(text, "cannot reach the Docker Engine") || !strings.Contains(text, "DOCKER_HOST") {
		t.Errorf("want one line naming the problem and the fix, got:\n%s", text)
	}
}
