package env_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/env/engine/enginetest"
)

// Unit tests of Up's scheduling against the in-memory engine.

func parse(t *testing.T, yaml string) *config.Project {
	t.Helper()
	p, err := config.Parse("/src/envs.yaml", []byte(yaml), config.LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatalf("parsing test config: %v", err)
	}
	return p
}

// behaviours maps a service to how its container acts. "ready" is when the
// service's own health test starts to pass (the early probe sees that); the
// engine's own check settles only at "engineAt", by default much later.
type behaviour struct {
	ready    time.Duration
	engineAt time.Duration
	health   string // what the engine's check settles on
	exit     bool
	code     int
	exitAt   time.Duration
}

func fakeWith(t *testing.T, p *config.Project, bs map[string]behaviour) *enginetest.Fake {
	f := enginetest.New()
	for _, s := range p.Services {
		f.AddImage(s.Image)
	}
	f.OnStart = func(spec engine.ContainerSpec) enginetest.Behaviour {
		b := bs[spec.Labels[engine.LabelService]]
		started := time.Now()
		eb := enginetest.Behaviour{
			Health: b.health, HealthAfter: b.engineAt, HealthLog: "probe says no",
			Exit: b.exit, ExitCode: b.code, ExitAfter: b.exitAt,
			Exec: func([]string) (int, string) {
				if b.health == "unhealthy" || time.Since(started) < b.ready {
					return 1, "not ready yet"
				}
				return 0, "ok"
			},
		}
		if eb.HealthAfter == 0 {
			eb.HealthAfter = time.Hour
		}
		return eb
	}
	return f
}

type events struct {
	mu  sync.Mutex
	all []env.Event
}

func (e *events) Report(ev env.Event) {
	e.mu.Lock()
	e.all = append(e.all, ev)
	e.mu.Unlock()
}

// at returns when service first reported status, or the zero time.
func (e *events) at(service string, status env.Status) time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.all {
		if ev.Kind == env.KindService && ev.Name == service && ev.Status == status {
			return ev.Time
		}
	}
	return time.Time{}
}

const hc = `{test: ["CMD", "/app", "health"], interval: 30s, timeout: 1s, retries: 3}`

func TestEachServiceStartsAsSoonAsItsOwnDependenciesHold(t *testing.T) {
	p := parse(t, `
name: par
services:
  slow: {image: x, healthcheck: `+hc+`}
  fast: {image: x, healthcheck: `+hc+`}
  a: {image: x, depends_on: {slow: {condition: service_healthy}}}
  b: {image: x, depends_on: {fast: {condition: service_healthy}}}
`)
	f := fakeWith(t, p, map[string]behaviour{"slow": {ready: 400 * time.Millisecond}})
	ev := &events{}
	if _, err := env.Up(t.Context(), f, p, env.UpOptions{Progress: ev, Ports: noPorts{}}); err != nil {
		t.Fatal(err)
	}
	bStarted, slowHealthy := ev.at("b", env.StatusStarted), ev.at("slow", env.StatusHealthy)
	if bStarted.IsZero() || slowHealthy.IsZero() || !bStarted.Before(slowHealthy) {
		t.Errorf("b started at %v, slow healthy at %v: b must not wait for an unrelated dependency", bStarted, slowHealthy)
	}
	// slow's health test passes 400 ms after its start; a may not start earlier.
	// (slow's own "healthy" event may be emitted a hair after a starts.)
	if a, ready := ev.at("a", env.StatusStarting), ev.at("slow", env.StatusStarted).Add(380*time.Millisecond); a.Before(ready) {
		t.Errorf("a started at %v, before its dependency was ready at %v", a, ready)
	}
}

func TestEarlyProbeSeesReadinessLongBeforeTheEnginesFirstCheck(t *testing.T) {
	p := parse(t, `
name: early
services:
  db: {image: x, healthcheck: `+hc+`}
  api: {image: x, depends_on: {db: {condition: service_healthy}}}
`)
	// The engine would first probe after the 30 s interval.
	f := fakeWith(t, p, map[string]behaviour{"db": {ready: 200 * time.Millisecond, engineAt: 30 * time.Second}})
	ev := &events{}
	start := time.Now()
	if _, err := env.Up(t.Context(), f, p, env.UpOptions{Progress: ev, Ports: noPorts{}}); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if took > time.Second {
		t.Errorf("up took %s; the early probe should see db ready ~200 ms after start", took)
	}
	lag := ev.at("db", env.StatusHealthy).Sub(ev.at("db", env.StatusStarted)) - 200*time.Millisecond
	if lag > 150*time.Millisecond {
		t.Errorf("db seen healthy %s after it was ready; want within ~100 ms", lag)
	}
}

func TestFailureNamesTheCulpritNotTheDependants(t *testing.T) {
	p := parse(t, `
name: culprit
services:
  db: {image: x, healthcheck: `+hc+`}
  cache: {image: x, healthcheck: `+hc+`}
  api: {image: x, depends_on: {db: {condition: service_healthy}, cache: {condition: service_healthy}}}
  web: {image: x, depends_on: [api]}
`)
	f := fakeWith(t, p, map[string]behaviour{"db": {ready: time.Hour, exit: true, code: 3, exitAt: 50 * time.Millisecond}})
	_, err := env.Up(t.Context(), f, p, env.UpOptions{Ports: noPorts{}})
	var ue *env.UpError
	if !errors.As(err, &ue) || !errors.Is(err, env.ErrServiceFailed) {
		t.Fatalf("got %v, want an *UpError", err)
	}
	if len(ue.Failed) != 1 || ue.Failed[0].Service != "db" || !strings.Contains(ue.Failed[0].Reason, "code 3") {
		t.Fatalf("culprits %+v, want db exited with code 3", ue.Failed)
	}
	for _, s := range []string{"api", "web"} {
		if _, ok := ue.Skipped[s]; !ok {
			t.Errorf("%s not reported as skipped: %v", s, ue.Skipped)
		}
	}
	calls := f.Calls()
	if slices.Contains(calls, "start culprit-api") || !slices.Contains(calls, "start culprit-cache") {
		t.Errorf("calls %v: api must not be started, cache must be", calls)
	}
	if slices.Contains(calls, "stop culprit-cache") {
		t.Errorf("the healthy part of the stack was stopped: %v", calls)
	}
}

func TestUnhealthyDependencyReportsItsProbeOutput(t *testing.T) {
	p := parse(t, `
name: sick
services:
  db: {image: x, healthcheck: `+hc+`}
  api: {image: x, depends_on: {db: {condition: service_healthy}}}
`)
	f := fakeWith(t, p, map[string]behaviour{"db": {health: "unhealthy", engineAt: 100 * time.Millisecond}})
	_, err := env.Up(t.Context(), f, p, env.UpOptions{Ports: noPorts{}})
	var ue *env.UpError
	if !errors.As(err, &ue) || len(ue.Failed) != 1 {
		t.Fatalf("got %v, want one culprit", err)
	}
	if f := ue.Failed[0]; f.Service != "db" || f.Reason != "is unhealthy" || f.HealthOutput != "probe says no" {
		t.Errorf("culprit %+v", f)
	}
}

// A service with no healthcheck of its own runs its image's: its dependants
// wait for it, and its failure names it.
func TestImageHealthcheckGatesDependants(t *testing.T) {
	p := parse(t, `
name: imghc
services:
  db: {image: db:1}
  api: {image: x, depends_on: {db: {condition: service_healthy}}}
`)
	check := &engine.HealthSpec{Test: []string{"CMD", "/app", "health"}, Interval: time.Second}
	for _, tt := range []struct {
		name string
		b    behaviour
	}{
		{"healthy", behaviour{engineAt: 300 * time.Millisecond}},
		{"unhealthy", behaviour{health: "unhealthy", engineAt: 100 * time.Millisecond}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := fakeWith(t, p, map[string]behaviour{"db": tt.b})
			f.AddImageConfig("db:1", enginetest.ImageConfig{Healthcheck: check})
			ev := &events{}
			_, err := env.Up(t.Context(), f, p, env.UpOptions{Progress: ev, Ports: noPorts{}})
			if tt.b.health == "unhealthy" {
				var ue *env.UpError
				if !errors.As(err, &ue) || len(ue.Failed) != 1 || ue.Failed[0].Service != "db" {
					t.Fatalf("got %v, want db named unhealthy", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// The engine's check passes 300 ms after db's start; api may not
			// start earlier. (db's own "healthy" event may come a hair after.)
			if api, ready := ev.at("api", env.StatusStarting), ev.at("db", env.StatusStarted).Add(280*time.Millisecond); api.Before(ready) {
				t.Errorf("api started at %v, before db's image check passed at %v", api, ready)
			}
		})
	}
}

func TestTimeoutAndCancel(t *testing.T) {
	p := parse(t, `
name: slow
services:
  db: {image: x, healthcheck: `+hc+`}
`)
	t.Run("timeout names the service", func(t *testing.T) {
		f := fakeWith(t, p, map[string]behaviour{"db": {ready: time.Hour}})
		_, err := env.Up(t.Context(), f, p, env.UpOptions{Timeout: 300 * time.Millisecond, Ports: noPorts{}})
		var ue *env.UpError
		if !errors.As(err, &ue) || len(ue.Failed) != 1 || !strings.Contains(ue.Failed[0].Reason, "in time") {
			t.Fatalf("got %v, want db not ready in time", err)
		}
	})
	t.Run("cancel returns promptly", func(t *testing.T) {
		f := fakeWith(t, p, map[string]behaviour{"db": {ready: time.Hour}})
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(200*time.Millisecond, cancel)
		start := time.Now()
		_, err := env.Up(ctx, f, p, env.UpOptions{Ports: noPorts{}})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("cancel took %s to return", took)
		}
	})
}

func TestSecondUpChangesNothing(t *testing.T) {
	p := parse(t, `
name: noop
services:
  db: {image: x, healthcheck: `+hc+`, volumes: ["data:/data"]}
  migrate: {image: x, command: [migrate], depends_on: {db: {condition: service_healthy}}}
  api: {image: x, depends_on: {migrate: {condition: service_completed_successfully}}, ports: ["8080:80"]}
`)
	f := fakeWith(t, p, map[string]behaviour{"migrate": {exit: true, exitAt: 10 * time.Millisecond}})
	if _, err := env.Up(t.Context(), f, p, env.UpOptions{Ports: noPorts{}}); err != nil {
		t.Fatal(err)
	}
	f.ResetCalls()
	plan, err := env.Up(t.Context(), f, p, env.UpOptions{Ports: noPorts{}})
	if err != nil {
		t.Fatal(err)
	}
	// An exec is the early health probe of db, whose engine check is still
	// starting: it reads, it changes nothing.
	calls := slices.DeleteFunc(f.Calls(), func(c string) bool { return strings.HasPrefix(c, "exec ") })
	if len(calls) != 0 || !plan.Empty() {
		t.Errorf("second up made calls %v; plan:\n%s", calls, plan)
	}
}

func TestServicesSelectsDependencies(t *testing.T) {
	p := parse(t, `
name: sel
environments:
  default: [web]
services:
  db: {image: x}
  web: {image: x, depends_on: [db]}
  tool: {image: x}
`)
	f := fakeWith(t, p, nil)
	if _, err := env.Up(t.Context(), f, p, env.UpOptions{Services: []string{"tool"}, Ports: noPorts{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Up(t.Context(), f, p, env.UpOptions{Ports: noPorts{}}); err != nil {
		t.Fatal(err)
	}
	calls := f.Calls()
	for _, want := range []string{"start sel-tool", "start sel-db", "start sel-web"} {
		if !slices.Contains(calls, want) {
			t.Errorf("calls %v lack %q", calls, want)
		}
	}
	if slices.Contains(calls, "remove sel-tool") {
		t.Errorf("a service outside the environment is not an orphan: %v", calls)
	}
}

// noPorts says every host port is free.
type noPorts struct{}

func (noPorts) Holder(string, uint16, string) string { return "" }

func TestDownStopsDependantsFirst(t *testing.T) {
	p := parse(t, `
name: order
services:
  db: {image: x}
  api: {image: x, depends_on: [db]}
  web: {image: x, depends_on: [api]}
  tool: {image: x}
`)
	f := fakeWith(t, p, nil)
	if _, err := env.Up(t.Context(), f, p, env.UpOptions{Ports: noPorts{}}); err != nil {
		t.Fatal(err)
	}
	f.ResetCalls()
	if err := env.Down(t.Context(), f, "order", env.DownOptions{}); err != nil {
		t.Fatal(err)
	}
	calls := f.Calls()
	pos := func(c string) int {
		i := slices.Index(calls, c)
		if i < 0 {
			t.Fatalf("calls %v lack %q", calls, c)
		}
		return i
	}
	if !(pos("remove order-web") < pos("stop order-api") && pos("remove order-api") < pos("stop order-db")) {
		t.Errorf("down must stop dependants before their dependencies: %v", calls)
	}
	if !slices.Contains(calls, "network-remove order_default") {
		t.Errorf("network not removed: %v", calls)
	}
}

func TestServiceThatExitsRightAwayIsTheCulprit(t *testing.T) {
	p := parse(t, `
name: crash
services:
  crash: {image: x}
`)
	f := fakeWith(t, p, map[string]behaviour{"crash": {exit: true, code: 3}})
	_, err := env.Up(t.Context(), f, p, env.UpOptions{Ports: noPorts{}})
	var ue *env.UpError
	if !errors.As(err, &ue) || len(ue.Failed) != 1 || !strings.Contains(ue.Failed[0].Reason, "code 3") {
		t.Fatalf("got %v, want crash to fail with code 3", err)
	}
}

// stuckStart never finishes starting a container until the run gives up.
type stuckStart struct{ *enginetest.Fake }

func (s stuckStart) ContainerStart(ctx context.Context, id string) error {
	<-ctx.Done()
	return context.Cause(ctx)
}

func TestTimeoutWhileStartingIsAFailure(t *testing.T) {
	p := parse(t, `
name: stuck
services:
  db: {image: x, healthcheck: `+hc+`}
  api: {image: x, depends_on: {db: {condition: service_healthy}}}
`)
	f := fakeWith(t, p, nil)
	_, err := env.Up(t.Context(), stuckStart{f}, p, env.UpOptions{Timeout: 300 * time.Millisecond, Ports: noPorts{}})
	var ue *env.UpError
	if !errors.As(err, &ue) || len(ue.Failed) != 1 || ue.Failed[0].Service != "db" || !strings.Contains(ue.Failed[0].Reason, "in time") {
		t.Fatalf("got %v, want db not ready in time", err)
	}
	if _, ok := ue.Skipped["api"]; !ok {
		t.Errorf("api should be listed as not started: %v", ue.Skipped)
	}
}

func TestSamePortOnDifferentHostIPsIsNoConflict(t *testing.T) {
	p := parse(t, `
name: ips
services:
  a: {image: x, ports: ["127.0.0.1:8080:80"]}
  b: {image: x, ports: ["127.0.0.2:8080:80"]}
  c: {image: x, ports: ["8080:80"]}
`)
	f := fakeWith(t, p, nil)
	_, err := env.Up(t.Context(), f, p, env.UpOptions{Services: []string{"a", "b"}, Ports: noPorts{}})
	if err != nil {
		t.Fatalf("a and b publish 8080 on different IPs: %v", err)
	}
	_, err = env.Up(t.Context(), f, p, env.UpOptions{Ports: noPorts{}})
	var pe *env.PortError
	if !errors.As(err, &pe) || len(pe.Conflicts) != 1 || pe.Conflicts[0].Service != "c" {
		t.Fatalf("c publishes 8080 on every IP: got %v, want one conflict on c", err)
	}
}
