package env_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/env/engine/enginetest"
	"github.com/google/go-cmp/cmp"
)

// TestContainerSettingsReachTheSpec checks that up creates containers with
// the service's container settings, under its container_name, and that a
// change of one setting recreates only that container.
func TestContainerSettingsReachTheSpec(t *testing.T) {
	const src = `
name: set
services:
  db: {image: x}
  app:
    image: x
    container_name: the-app
    cap_add: [NET_ADMIN]
    sysctls: {net.core.somaxconn: 1024}
    shm_size: 64m
    ulimits: {nofile: {soft: 10, hard: 20}}
    init: true
    read_only: true
    dns: [10.0.0.53]
    stop_signal: SIGINT
    stop_grace_period: 3s
    mem_limit: 32m
    cpus: 0.5
    ipc: service:db
    expose: [8080]
    logging: {driver: json-file, options: {max-size: 1m}}
`
	p := parse(t, src)
	f := fakeWith(t, p, nil)
	if _, err := env.Up(t.Context(), f, p, env.UpOptions{Ports: noPorts{}}); err != nil {
		t.Fatal(err)
	}
	spec, ok := f.Spec("the-app")
	if !ok {
		t.Fatalf("no container named the-app; calls %v", f.Calls())
	}
	yes, grace := true, 3
	want := &engine.RuntimeSpec{
		Expose: []string{"8080"}, CapAdd: []string{"NET_ADMIN"}, Sysctls: map[string]string{"net.core.somaxconn": "1024"},
		ShmSize: 64 << 20, Ulimits: []engine.Ulimit{{Name: "nofile", Soft: 10, Hard: 20}}, Init: &yes, ReadOnly: true,
		DNS: []string{"10.0.0.53"}, StopSignal: "SIGINT", StopTimeout: &grace, Memory: 32 << 20, NanoCPUs: 5e8,
		IPC: "container:set-db", LogDriver: "json-file", LogOptions: map[string]string{"max-size": "1m"},
	}
	if diff := cmp.Diff(want, spec.Runtime); diff != "" {
		t.Errorf("runtime spec (-want +got):\n%s", diff)
	}
	if got := spec.Labels[env.LabelStopGracePeriod]; got != "3s" {
		t.Errorf("stop grace period label = %q, want 3s", got)
	}
	if db, _ := f.Spec("set-db"); db.Runtime != nil {
		t.Errorf("a service without settings has a runtime spec %+v; it must stay nil to keep its hash", db.Runtime)
	}

	changed := parse(t, src[:len(src)-1]+"\n    cap_drop: [MKNOD]\n")
	f.ResetCalls()
	if _, err := env.Up(t.Context(), f, changed, env.UpOptions{Ports: noPorts{}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"remove the-app", "create the-app", "start the-app"}, containerCalls(f.Calls())); diff != "" {
		t.Errorf("a changed setting must recreate only its container (-want +got):\n%s", diff)
	}
}

// containerCalls keeps the create, remove and start calls.
func containerCalls(calls []string) []string {
	var out []string
	for _, c := range calls {
		for _, verb := range []string{"create ", "remove ", "start "} {
			if len(c) > len(verb) && c[:len(verb)] == verb {
				out = append(out, c)
			}
		}
	}
	return out
}

// stopRecorder records the timeout of every stop.
type stopRecorder struct {
	*enginetest.Fake
	mu    sync.Mutex
	stops map[string]time.Duration
}

func (s *stopRecorder) ContainerStop(ctx context.Context, id string, timeout time.Duration) error {
	s.mu.Lock()
	s.stops[id] = timeout
	s.mu.Unlock()
	return s.Fake.ContainerStop(ctx, id, timeout)
}

// TestStopGracePeriod checks that stop and down give each container its
// stop_grace_period, and that an explicit timeout wins.
func TestStopGracePeriod(t *testing.T) {
	p := parse(t, `
name: grace
services:
  slow: {image: x, stop_grace_period: 1m}
  quick: {image: x}
`)
	rec := &stopRecorder{Fake: fakeWith(t, p, nil), stops: map[string]time.Duration{}}
	if _, err := env.Up(t.Context(), rec, p, env.UpOptions{Ports: noPorts{}}); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	obs, err := rec.Observe(t.Context(), "grace")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range obs.Containers {
		ids[c.ID] = c.Service
	}
	byService := func() map[string]time.Duration {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		out := map[string]time.Duration{}
		for id, d := range rec.stops {
			out[ids[id]] = d
		}
		clear(rec.stops)
		return out
	}
	if err := env.Stop(t.Context(), rec, p, env.LifecycleOptions{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]time.Duration{"slow": time.Minute, "quick": 10 * time.Second}, byService()); diff != "" {
		t.Errorf("stop timeouts (-want +got):\n%s", diff)
	}
	if err := env.Restart(t.Context(), rec, p, env.LifecycleOptions{Timeout: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]time.Duration{"slow": 2 * time.Second, "quick": 2 * time.Second}, byService()); diff != "" {
		t.Errorf("restart -t timeouts (-want +got):\n%s", diff)
	}
	changed := parse(t, `
name: grace
services:
  slow: {image: x, stop_grace_period: 1m, command: [changed]}
  quick: {image: x}
`)
	if _, err := env.Up(t.Context(), rec, changed, env.UpOptions{Ports: noPorts{}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]time.Duration{"slow": time.Minute}, byService()); diff != "" {
		t.Errorf("recreate timeouts (-want +got):\n%s", diff)
	}
	obs, err = rec.Observe(t.Context(), "grace")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range obs.Containers {
		ids[c.ID] = c.Service
	}
	if err := env.Down(t.Context(), rec, "grace", env.DownOptions{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]time.Duration{"slow": time.Minute, "quick": 10 * time.Second}, byService()); diff != "" {
		t.Errorf("down timeouts (-want +got):\n%s", diff)
	}
}

// TestRestartRestartsDependants checks depends_on {restart: true}: restarting
// a dependency restarts, after it, the services that ask for it.
func TestRestartRestartsDependants(t *testing.T) {
	p := parse(t, `
name: rs
services:
  db: {image: x}
  api: {image: x, depends_on: {db: {condition: service_started, restart: true}}}
  worker: {image: x, depends_on: {api: {condition: service_started, restart: true}}}
  web: {image: x, depends_on: [db]}
`)
	f := fakeWith(t, p, nil)
	if _, err := env.Up(t.Context(), f, p, env.UpOptions{Ports: noPorts{}}); err != nil {
		t.Fatal(err)
	}
	f.ResetCalls()
	if err := env.Restart(t.Context(), f, p, env.LifecycleOptions{Services: []string{"db"}}); err != nil {
		t.Fatal(err)
	}
	var starts []string
	for _, c := range f.Calls() {
		if strings.HasPrefix(c, "start ") {
			starts = append(starts, c)
		}
	}
	if diff := cmp.Diff([]string{"start rs-db", "start rs-api", "start rs-worker"}, starts); diff != "" {
		t.Errorf("restart of db (-want +got):\n%s", diff)
	}
}

func TestEngineNotes(t *testing.T) {
	p := parse(t, `
name: n
services:
  a: {image: x, healthcheck: {test: [CMD, x], start_interval: 1s}}
  b: {image: x, healthcheck: {test: [CMD, x]}, annotations: {com.example.a: "1"}}
`)
	got := env.EngineNotes(p, []string{"a", "b"}, "1.41")
	want := []string{
		"service a healthcheck start_interval needs Docker Engine API 1.44 or later (this engine speaks 1.41); its checks run every interval instead",
		"service b annotations need Docker Engine API 1.43 or later (this engine speaks 1.41); they are left out",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notes on API 1.41 (-want +got):\n%s", diff)
	}
	if got := env.EngineNotes(p, []string{"a", "b"}, "1.44"); got != nil {
		t.Errorf("notes on API 1.44: %q, want none", got)
	}
}
