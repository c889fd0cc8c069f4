package enginetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const project = "sample"

func webSpec(name string) engine.ContainerSpec {
	return engine.ContainerSpec{
		Name:  name,
		Image: "web:1",
		Labels: map[string]string{
			engine.LabelProject: project,
			engine.LabelService: strings.TrimPrefix(name, project+"-"),
		},
		Network:     project + "-net",
		Healthcheck: &engine.HealthSpec{Test: []string{"CMD", "/app", "health"}},
	}
}

// setup returns a Fake with an image and the project network.
func setup(t *testing.T) *Fake {
	t.Helper()
	f := New()
	f.AddImage("web:1")
	_, err := f.NetworkCreate(t.Context(), engine.NetworkSpec{
		Name: project + "-net", Labels: map[string]string{engine.LabelProject: project},
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// next reads one event.
func next(t *testing.T, events <-chan engine.Event) engine.Event {
	t.Helper()
	return testutil.Receive(t, "the next event", events)
}

// brief keeps the fields of an event a test compares.
func brief(ev engine.Event) string {
	s := ev.Service + " " + ev.Action
	if ev.Health != "" {
		s += " " + ev.Health
	}
	if ev.Action == "die" {
		s += fmt.Sprintf(" %d", ev.ExitCode)
	}
	return s
}

func TestLifecycleEventsAndCalls(t *testing.T) {
	f := setup(t)
	f.OnStart = func(engine.ContainerSpec) Behaviour { return Behaviour{StopExitCode: 143} }
	ctx := t.Context()
	events, _ := f.Events(ctx, project)

	id, err := f.ContainerCreate(ctx, webSpec("sample-web"))
	if err != nil {
		t.Fatal(err)
	}
	mustDo(t, f.ContainerStart(ctx, id))
	c, err := f.ContainerInspect(ctx, "sample-web")
	mustDo(t, err)
	if c.State != "running" || c.Health != "healthy" || c.StartedAt.IsZero() {
		t.Errorf("after start: state %q health %q started %v", c.State, c.Health, c.StartedAt)
	}
	mustDo(t, f.ContainerStop(ctx, id, time.Second))
	mustDo(t, f.ContainerRemove(ctx, "sample-web"))

	var got []string
	for range 7 {
		got = append(got, brief(next(t, events)))
	}
	want := []string{"web create", "web start", "web health_status healthy", "web kill", "web die 143", "web stop", "web destroy"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	wantCalls := []string{"network-create sample-net", "create sample-web", "start sample-web", "stop sample-web", "remove sample-web"}
	if diff := cmp.Diff(wantCalls, f.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestBehaviours(t *testing.T) {
	tests := []struct {
		name      string
		behaviour Behaviour
		want      []string
		state     string
		health    string
	}{
		{"healthy later", Behaviour{HealthAfter: 20 * time.Millisecond},
			[]string{"web start", "web health_status healthy"}, "running", "healthy"},
		{"unhealthy", Behaviour{Health: "unhealthy", HealthLog: "connection refused"},
			[]string{"web start", "web health_status unhealthy"}, "running", "unhealthy"},
		{"exits", Behaviour{Health: "starting", Exit: true, ExitCode: 3, ExitAfter: 20 * time.Millisecond},
			[]string{"web start", "web die 3"}, "exited", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			f.OnStart = func(engine.ContainerSpec) Behaviour { return tt.behaviour }
			ctx := t.Context()
			id, err := f.ContainerCreate(ctx, webSpec("sample-web"))
			mustDo(t, err)
			events, _ := f.Events(ctx, project)
			mustDo(t, f.ContainerStart(ctx, id))
			var got []string
			for range tt.want {
				got = append(got, brief(next(t, events)))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			c, err := f.ContainerInspect(ctx, id)
			mustDo(t, err)
			if c.State != tt.state || c.Health != tt.health || c.HealthLog != tt.behaviour.HealthLog {
				t.Errorf("state %q health %q log %q, want %q %q %q",
					c.State, c.Health, c.HealthLog, tt.state, tt.health, tt.behaviour.HealthLog)
			}
		})
	}
}

func TestRestartCancelsOldTimers(t *testing.T) {
	f := setup(t)
	exit := Behaviour{Exit: true, ExitCode: 9, ExitAfter: 100 * time.Millisecond}
	f.OnStart = func(engine.ContainerSpec) Behaviour { return exit }
	ctx := t.Context()
	events, _ := f.Events(ctx, project)
	id, err := f.ContainerCreate(ctx, webSpec("sample-web"))
	mustDo(t, err)
	mustDo(t, f.ContainerStart(ctx, id))
	mustDo(t, f.ContainerStop(ctx, id, 0))
	// Not read concurrently: OnStart runs in ContainerStart, under the lock.
	exit = Behaviour{Exit: true, ExitCode: 5, ExitAfter: 400 * time.Millisecond}
	mustDo(t, f.ContainerStart(ctx, id))
	// The first start's timer would end the second run early with 9.
	var got []string
	for range 9 {
		got = append(got, brief(next(t, events)))
	}
	want := []string{"web create", "web start", "web health_status healthy", "web kill", "web die 0", "web stop",
		"web start", "web health_status healthy", "web die 5"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestErrors(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	boom := errors.New("boom")
	f.FailNext("start sample-web", boom)

	_, err := f.ContainerCreate(ctx, engine.ContainerSpec{Name: "x", Image: "missing:1"})
	checkIs(t, "create from missing image", err, engine.ErrImageNotFound)
	id, err := f.ContainerCreate(ctx, webSpec("sample-web"))
	mustDo(t, err)
	_, err = f.ContainerCreate(ctx, webSpec("sample-web"))
	checkIs(t, "create twice", err, engine.ErrConflict)
	checkIs(t, "injected failure", f.ContainerStart(ctx, id), boom)
	mustDo(t, f.ContainerStart(ctx, id))
	checkIs(t, "remove missing", f.ContainerRemove(ctx, "nope"), engine.ErrNotFound)
	_, err = f.ContainerInspect(ctx, "nope")
	checkIs(t, "inspect missing", err, engine.ErrNotFound)
	checkIs(t, "remove attached network", f.NetworkRemove(ctx, "sample-net"), engine.ErrConflict)
	_, err = f.ImageInspect(ctx, "other:2")
	checkIs(t, "inspect missing image", err, engine.ErrImageNotFound)
	checkIs(t, "pull of what no registry holds", f.ImagePull(ctx, "other:2"), engine.ErrImageNotFound)
	f.AddRemoteImage("other:2")
	mustDo(t, f.ImagePull(ctx, "other:2"))
	if _, err := f.ImageInspect(ctx, "other:2"); err != nil {
		t.Errorf("pulled image: %v", err)
	}

	f.SetUnreachable(true)
	checkIs(t, "ping unreachable", f.Ping(ctx), engine.ErrUnreachable)
	_, err = f.Observe(ctx, project)
	checkIs(t, "observe unreachable", err, engine.ErrUnreachable)
}

func checkIs(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got %v, want %v", what, err, want)
	}
}

func TestPortConflict(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	ports := []engine.PublishedPort{{HostPort: 8080, ContainerPort: 80}}
	a, b := webSpec("sample-a"), webSpec("sample-b")
	a.Ports, b.Ports = ports, ports
	idA, err := f.ContainerCreate(ctx, a)
	mustDo(t, err)
	idB, err := f.ContainerCreate(ctx, b)
	mustDo(t, err)
	mustDo(t, f.ContainerStart(ctx, idA))
	checkIs(t, "second start on port 8080", f.ContainerStart(ctx, idB), engine.ErrConflict)
	mustDo(t, f.ContainerStop(ctx, idA, 0))
	mustDo(t, f.ContainerStart(ctx, idB))
}

func TestObserve(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	mustDo(t, f.VolumeCreate(ctx, engine.VolumeSpec{Name: "sample_data", Labels: map[string]string{engine.LabelProject: project}}))
	mustDo(t, f.VolumeCreate(ctx, engine.VolumeSpec{Name: "other_data"}))
	for _, name := range []string{"sample-web", "sample-db"} {
		_, err := f.ContainerCreate(ctx, webSpec(name))
		mustDo(t, err)
	}
	other := webSpec("other-web")
	other.Labels = map[string]string{engine.LabelProject: "other"}
	_, err := f.ContainerCreate(ctx, other)
	mustDo(t, err)

	obs, err := f.Observe(ctx, project)
	mustDo(t, err)
	var got []string
	for _, c := range obs.Containers {
		got = append(got, c.Name+" "+c.Service+" "+c.State)
	}
	for _, n := range obs.Networks {
		got = append(got, "network "+n.Name)
	}
	for _, v := range obs.Volumes {
		got = append(got, "volume "+v.Name)
	}
	want := []string{"sample-db db created", "sample-web web created", "network sample-net", "volume sample_data"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("observed (-want +got):\n%s", diff)
	}
	obs.Containers[0].Labels["x"] = "changed"
	c, _ := f.ContainerInspect(ctx, "sample-db")
	if _, ok := c.Labels["x"]; ok {
		t.Error("Observe returned the fake's own labels map")
	}
}

func TestLogsFollow(t *testing.T) {
	f := setup(t)
	f.OnStart = func(engine.ContainerSpec) Behaviour {
		return Behaviour{Logs: []engine.LogLine{{Text: "booting"}, {Text: "ready"}}}
	}
	ctx := t.Context()
	id, err := f.ContainerCreate(ctx, webSpec("sample-web"))
	mustDo(t, err)
	mustDo(t, f.ContainerStart(ctx, id))
	lines, errs := f.ContainerLogs(ctx, id, engine.LogOptions{Follow: true, Tail: "1"})
	got := []engine.LogLine{<-lines}
	mustDo(t, f.WriteLog(id, engine.LogLine{Stream: "stderr", Text: "oops"}))
	got = append(got, <-lines)
	mustDo(t, f.ContainerStop(ctx, id, 0))
	if l, ok := <-lines; ok {
		t.Errorf("line %+v after stop, want end of log", l)
	}
	if err := <-errs; err != nil {
		t.Errorf("error at end of followed log: %v", err)
	}
	want := []engine.LogLine{{Stream: "stdout", Text: "ready"}, {Stream: "stderr", Text: "oops"}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(engine.LogLine{}, "Time")); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

func TestStreamsEndWithContext(t *testing.T) {
	f := setup(t)
	id, err := f.ContainerCreate(t.Context(), webSpec("sample-web"))
	mustDo(t, err)
	mustDo(t, f.ContainerStart(t.Context(), id))
	ctx, cancel := context.WithCancel(t.Context())
	events, evErrs := f.Events(ctx, project)
	lines, logErrs := f.ContainerLogs(ctx, id, engine.LogOptions{Follow: true})
	cancel()
	for range events {
	}
	for range lines {
	}
	checkIs(t, "events after cancel", <-evErrs, context.Canceled)
	checkIs(t, "logs after cancel", <-logErrs, context.Canceled)
}

func TestBreakEvents(t *testing.T) {
	f := setup(t)
	events, errs := f.Events(t.Context(), project)
	_, err := f.ContainerCreate(t.Context(), webSpec("sample-web"))
	mustDo(t, err)
	gone := errors.New("engine gone")
	f.BreakEvents(gone)
	if ev := next(t, events); ev.Action != "create" {
		t.Errorf("first event %q, want create before the break", ev.Action)
	}
	for range events {
	}
	checkIs(t, "broken stream", <-errs, gone)
	if _, ok := <-errs; ok {
		t.Error("error channel yielded twice")
	}
}

func TestExec(t *testing.T) {
	f := setup(t)
	f.OnStart = func(engine.ContainerSpec) Behaviour {
		return Behaviour{Exec: func(cmd []string) (int, string) { return 2, strings.Join(cmd, " ") }}
	}
	ctx := t.Context()
	id, err := f.ContainerCreate(ctx, webSpec("sample-web"))
	mustDo(t, err)
	_, _, err = f.ContainerExec(ctx, id, []string{"true"})
	checkIs(t, "exec in created container", err, engine.ErrConflict)
	mustDo(t, f.ContainerStart(ctx, id))
	code, out, err := f.ContainerExec(ctx, id, []string{"echo", "hi"})
	if err != nil || code != 2 || out != "echo hi" {
		t.Errorf("exec: %d %q %v, want 2 \"echo hi\" nil", code, out, err)
	}
	var buf strings.Builder
	code, err = f.ExecInteractive(ctx, id, engine.ExecOptions{Cmd: []string{"sh"}, Stdout: &buf})
	if err != nil || code != 2 || buf.String() != "sh" {
		t.Errorf("interactive exec: %d %q %v", code, buf.String(), err)
	}
}

// TestConcurrentUse is for the race detector.
func TestConcurrentUse(t *testing.T) {
	f := setup(t)
	f.OnStart = func(engine.ContainerSpec) Behaviour {
		return Behaviour{HealthAfter: time.Millisecond, Exit: true, ExitAfter: 2 * time.Millisecond}
	}
	ctx := t.Context()
	events, _ := f.Events(ctx, project)
	go func() {
		for range events {
		}
	}()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			name := fmt.Sprintf("sample-w%d", i)
			for range 20 {
				id, err := f.ContainerCreate(ctx, webSpec(name))
				if err != nil {
					t.Error(err)
					return
				}
				_ = f.ContainerStart(ctx, id)
				_, _ = f.Observe(ctx, project)
				_ = f.ContainerRemove(ctx, id)
			}
		})
	}
	wg.Wait()
	if n := len(f.Calls()); n != 1+8*20*3 {
		t.Errorf("%d calls recorded, want %d", n, 1+8*20*3)
	}
}
