package env_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/env"
)

// stack is a four-service stack with every kind of dependency: web needs api
// started, api needs db healthy and migrate completed. The test service only
// turns healthy when its -deps answer, so DNS by service name is exercised.
const stack = `
name: NAME
services:
  db:
    image: IMAGE
    environment: {TESTSVC_READY_AFTER: 200ms}
    healthcheck: {test: ["CMD", "/app", "health"], interval: 1s, timeout: 1s, retries: 5}
    volumes: ["data:/data"]
  migrate:
    image: IMAGE
    command: ["-exit", "0"]
    depends_on: {db: {condition: service_healthy}}
  api:
    image: IMAGE
    command: ["-deps", "http://db:8080"]
    healthcheck: {test: ["CMD", "/app", "health"], interval: 1s, timeout: 1s, retries: 5}
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
  web:
    image: IMAGE
    command: ["-deps", "http://api:8080"]
    healthcheck: {test: ["CMD", "/app", "health"], interval: 1s, timeout: 1s, retries: 5}
    depends_on: [api]
`

func TestUpFreshThenNoop(t *testing.T) {
	eng := dockerEngine(t)
	p := project(t, eng, stack)
	rec := &recorder{}
	if _, err := env.Up(t.Context(), eng, p, env.UpOptions{Progress: rec}); err != nil {
		t.Fatalf("up: %v", err)
	}
	rows, err := env.Ps(t.Context(), eng, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		switch r.Service {
		case "migrate":
			if r.State != "exited" || r.ExitCode != 0 {
				t.Errorf("migrate: state %s code %d, want exited 0", r.State, r.ExitCode)
			}
		default:
			if r.State != "running" {
				t.Errorf("%s: state %s, want running", r.Service, r.State)
			}
		}
	}
	if got := rec.statuses("web"); !slices.Contains(got, env.StatusHealthy) {
		t.Errorf("web never reported healthy: %v", got)
	}
	before := containerIDs(t, eng, p.Name)

	rec2 := &recorder{}
	start := time.Now()
	plan, err := env.Up(t.Context(), eng, p, env.UpOptions{Progress: rec2})
	if err != nil {
		t.Fatalf("second up: %v", err)
	}
	t.Logf("no-op up took %s", time.Since(start))
	if !plan.Empty() {
		t.Errorf("second up was not a no-op:\n%s", plan)
	}
	if diff := mapDiff(before, containerIDs(t, eng, p.Name)); diff != "" {
		t.Errorf("no-op up changed containers: %s", diff)
	}
	for _, s := range []string{"db", "api", "web", "migrate"} {
		if got := rec2.statuses(s); !slices.Contains(got, env.StatusUpToDate) || slices.Contains(got, env.StatusCreating) {
			t.Errorf("%s: statuses %v, want up-to-date and no creating", s, got)
		}
	}
}

func TestUpRecreatesOnlyChangedAndRemovesOrphans(t *testing.T) {
	eng := dockerEngine(t)
	p := project(t, eng, stack)
	if _, err := env.Up(t.Context(), eng, p, env.UpOptions{}); err != nil {
		t.Fatalf("up: %v", err)
	}
	before := containerIDs(t, eng, p.Name)

	changed := strings.Replace(stack, `command: ["-deps", "http://api:8080"]`, `command: ["-deps", "http://api:8080", "-heartbeat", "1h"]`, 1)
	changed = strings.Replace(changed, "  migrate:", "  extra:\n    image: IMAGE\n  migrate:", 1)
	p2 := loadYAML(t, p.Dir, p.Name, changed)
	if _, err := env.Up(t.Context(), eng, p2, env.UpOptions{Services: []string{"web", "extra"}}); err != nil {
		t.Fatalf("up after change: %v", err)
	}
	after := containerIDs(t, eng, p.Name)
	for svc, id := range before {
		if (after[svc] != id) != (svc == "web") {
			t.Errorf("service %s: recreated = %v, want only web recreated", svc, after[svc] != id)
		}
	}
	// Dropping "extra" from the file makes its container an orphan.
	p3 := loadYAML(t, p.Dir, p.Name, stack)
	if _, err := env.Up(t.Context(), eng, p3, env.UpOptions{}); err != nil {
		t.Fatalf("up without extra: %v", err)
	}
	if _, ok := containerIDs(t, eng, p.Name)["extra"]; ok {
		t.Errorf("orphan container of service extra was not removed")
	}
}

func TestUpNamesTheCulprit(t *testing.T) {
	eng := dockerEngine(t)
	p := project(t, eng, `
name: NAME
services:
  cache:
    image: IMAGE
    healthcheck: {test: ["CMD", "/app", "health"], interval: 1s, timeout: 1s, retries: 30}
  db:
    image: IMAGE
    command: ["-fail-after", "1500ms"]
    healthcheck: {test: ["CMD", "/app", "health"], interval: 1s, timeout: 1s, retries: 30}
    environment: {TESTSVC_READY_AFTER: 1h}
  api:
    image: IMAGE
    depends_on: {db: {condition: service_healthy}, cache: {condition: service_healthy}}
`)
	_, err := env.Up(t.Context(), eng, p, env.UpOptions{Timeout: time.Minute})
	var ue *env.UpError
	if !errors.As(err, &ue) {
		t.Fatalf("up: got %v, want an *UpError", err)
	}
	if len(ue.Failed) != 1 || ue.Failed[0].Service != "db" {
		t.Fatalf("culprits %+v, want only db", ue.Failed)
	}
	f := ue.Failed[0]
	if !strings.Contains(f.Reason, "exited with code 3") {
		t.Errorf("reason %q, want the exit code", f.Reason)
	}
	if len(f.LogTail) == 0 {
		t.Errorf("no log tail reported for db")
	}
	if f.HealthOutput == "" {
		t.Errorf("no health output reported for db")
	}
	if _, ok := ue.Skipped["api"]; !ok {
		t.Errorf("api should be reported as not started, skipped = %v", ue.Skipped)
	}
	rows, _ := env.Ps(t.Context(), eng, p)
	for _, r := range rows {
		if r.Service == "cache" && r.State != "running" {
			t.Errorf("healthy part of the stack was not left running: cache is %s", r.State)
		}
		if r.Service == "api" && r.State != "created" {
			t.Errorf("api should have been created but not started, it is %s", r.State)
		}
	}
}

func TestUpPortConflictCreatesNothing(t *testing.T) {
	eng := dockerEngine(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	p := project(t, eng, strings.ReplaceAll(`
name: NAME
services:
  db:
    image: IMAGE
  web:
    image: IMAGE
    ports: ["127.0.0.1:PORT:8080"]
    depends_on: [db]
`, "PORT", itoa(port)))
	_, err = env.Up(t.Context(), eng, p, env.UpOptions{})
	var pe *env.PortError
	if !errors.As(err, &pe) {
		t.Fatalf("up: got %v, want a *PortError", err)
	}
	msg := err.Error()
	// The listener is this test process: it must be named, with its pid.
	if !strings.Contains(msg, itoa(port)) || !strings.Contains(msg, fmt.Sprintf("(pid %d)", os.Getpid())) {
		t.Errorf("error %q should name the port and the process holding it (pid %d)", msg, os.Getpid())
	}
	obs, err := eng.Observe(t.Context(), p.Name)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs.Containers)+len(obs.Networks)+len(obs.Volumes) != 0 {
		t.Errorf("something was created despite the conflict: %+v", obs)
	}
}

func TestDownLeavesNothing(t *testing.T) {
	eng := dockerEngine(t)
	p := project(t, eng, stack)
	if _, err := env.Up(t.Context(), eng, p, env.UpOptions{}); err != nil {
		t.Fatalf("up: %v", err)
	}
	if err := env.Down(t.Context(), eng, p.Name, env.DownOptions{}); err != nil {
		t.Fatalf("down: %v", err)
	}
	obs, _ := eng.Observe(t.Context(), p.Name)
	if len(obs.Containers) != 0 || len(obs.Networks) != 0 {
		t.Errorf("down left %d containers and %d networks", len(obs.Containers), len(obs.Networks))
	}
	if len(obs.Volumes) != 1 {
		t.Errorf("down without -v must keep the named volume, found %d volumes", len(obs.Volumes))
	}
	if err := env.Down(t.Context(), eng, p.Name, env.DownOptions{Volumes: true}); err != nil {
		t.Fatalf("down -v: %v", err)
	}
	obs, _ = eng.Observe(t.Context(), p.Name)
	if len(obs.Containers)+len(obs.Networks)+len(obs.Volumes) != 0 {
		t.Errorf("down -v left something behind: %+v", obs)
	}
}

func mapDiff(a, b map[string]string) string {
	var d []string
	for k, v := range a {
		if b[k] != v {
			d = append(d, k+": "+v[:12]+" -> "+b[k])
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d = append(d, "new "+k)
		}
	}
	return strings.Join(d, ", ")
}
