package enginetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/google/go-cmp/cmp"
)

func containerCases() []conformanceCase {
	return []conformanceCase{
		{"CreateStartStop", testCreateStartStop},
		{"StartAndStopAreIdempotent", testIdempotent},
		{"ExitCode", testExitCode},
		{"RemoveKillsRunning", testRemoveKills},
		{"RemoveTwice", testRemoveTwice},
		{"NameTaken", testNameTaken},
		{"RestartOnFailureCounts", testRestartOnFailure},
		{"RestartAlwaysNotAfterStop", testRestartAlways},
		{"RestartNo", testRestartNo},
		{"ListAndInspectAgree", testViews},
		{"AllContainers", testAllContainers},
		{"Logs", testLogs},
		{"Exec", testExec},
		{"EventsOfProjectOnly", testEventsOfProject},
	}
}

func testCreateStartStop(t *testing.T, s *suite) {
	id := s.create(s.spec("web"))
	if c := s.inspect(id); c.State != "created" || !c.StartedAt.IsZero() || !c.FinishedAt.IsZero() {
		t.Errorf("created: state %q, started %v, finished %v", c.State, c.StartedAt, c.FinishedAt)
	}
	before := time.Now().Add(-time.Second) // the engine's clock may lag a little
	s.must(s.Engine.ContainerStart(t.Context(), id))
	s.ready(id)
	c := s.inspect(id)
	if c.State != "running" || c.StartedAt.Before(before) || !c.FinishedAt.IsZero() || c.ExitCode != 0 {
		t.Errorf("started: state %q, started %v (want after %v), finished %v, exit %d",
			c.State, c.StartedAt, before, c.FinishedAt, c.ExitCode)
	}
	s.must(s.Engine.ContainerStop(t.Context(), id, 10*time.Second))
	got := s.await(id, "create", "start", "kill", "die 0", "stop")
	if diff := cmp.Diff([]string{"create", "start", "kill", "die 0", "stop"}, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	c = s.inspect(id)
	if c.State != "exited" || c.ExitCode != 0 || c.FinishedAt.Before(c.StartedAt) || len(c.Ports) != 0 {
		t.Errorf("stopped: state %q exit %d, started %v, finished %v, ports %v",
			c.State, c.ExitCode, c.StartedAt, c.FinishedAt, c.Ports)
	}
}

func testIdempotent(t *testing.T, s *suite) {
	created := s.create(s.spec("idle"))
	s.must(s.Engine.ContainerStop(t.Context(), created, time.Second))
	if c := s.inspect(created); c.State != "created" {
		t.Errorf("state %q after a stop of a created container, want created", c.State)
	}
	id := s.runReady(s.spec("web"))
	s.must(s.Engine.ContainerStart(t.Context(), id))
	s.must(s.Engine.ContainerStop(t.Context(), id, 10*time.Second))
	s.must(s.Engine.ContainerStop(t.Context(), id, 10*time.Second))
	if c := s.inspect(id); c.State != "exited" {
		t.Errorf("state %q after two stops, want exited", c.State)
	}
	s.is("stop of a missing container", s.Engine.ContainerStop(t.Context(), s.Project+"-nope", time.Second), engine.ErrNotFound)
	s.is("start of a missing container", s.Engine.ContainerStart(t.Context(), s.Project+"-nope"), engine.ErrNotFound)
}

func exitWith(code string) func(*engine.ContainerSpec) {
	return func(s *engine.ContainerSpec) { s.Command = []string{"-exit", code} }
}

func testExitCode(t *testing.T, s *suite) {
	id := s.run(s.spec("job", exitWith("7")))
	s.await(id, "start", "die 7")
	c := s.inspect(id)
	// No order between StartedAt and FinishedAt: the engine can stamp a
	// process that exits at once as finished before it was started.
	if c.State != "exited" || c.ExitCode != 7 || c.FinishedAt.IsZero() || c.StartedAt.IsZero() {
		t.Errorf("inspected state %q exit %d started %v finished %v", c.State, c.ExitCode, c.StartedAt, c.FinishedAt)
	}
	if o := s.observed(id); o.State != "exited" || o.ExitCode != 7 {
		t.Errorf("observed state %q exit %d, want exited 7", o.State, o.ExitCode)
	}
}

func testRemoveKills(t *testing.T, s *suite) {
	id := s.run(s.spec("web"))
	s.await(id, "start")
	s.must(s.Engine.ContainerRemove(t.Context(), id))
	got := s.await(id, "kill", "die 137", "destroy")
	if diff := cmp.Diff([]string{"kill", "die 137", "destroy"}, got); diff != "" {
		t.Errorf("events of a forced removal (-want +got):\n%s", diff)
	}
	_, err := s.Engine.ContainerInspect(t.Context(), id)
	s.is("inspect of a removed container", err, engine.ErrNotFound)
}

func testRemoveTwice(t *testing.T, s *suite) {
	id := s.create(s.spec("web"))
	s.must(s.Engine.ContainerRemove(t.Context(), id))
	s.is("second removal", s.Engine.ContainerRemove(t.Context(), id), engine.ErrNotFound)
	s.await(id, "create", "destroy")
}

func testNameTaken(t *testing.T, s *suite) {
	s.create(s.spec("web"))
	_, err := s.Engine.ContainerCreate(t.Context(), s.spec("web"))
	s.is("create with a taken name", err, engine.ErrConflict)
	_, err = s.Engine.ContainerCreate(t.Context(), s.spec("x", func(c *engine.ContainerSpec) { c.Image = s.Missing }))
	s.is("create from an absent image", err, engine.ErrImageNotFound)
}

func restart(policy string) func(*engine.ContainerSpec) {
	return func(s *engine.ContainerSpec) { s.Restart = policy }
}

func testRestartOnFailure(t *testing.T, s *suite) {
	id := s.run(s.spec("job", exitWith("3"), restart("on-failure:2")))
	got := s.await(id, "start", "die 3", "start", "die 3", "start", "die 3")
	if n := count(got, "start"); n != 3 {
		t.Errorf("events %q: want 3 starts (the first and 2 restarts)", got)
	}
	testutil.Eventually(t, "the container to stay exited after its last retry", func() bool {
		return s.inspect(id).State == "exited"
	})
	if c := s.inspect(id); c.ExitCode != 3 {
		t.Errorf("exit code %d, want 3", c.ExitCode)
	}
	// A job that succeeds is not restarted by on-failure.
	ok := s.run(s.spec("ok", exitWith("0"), restart("on-failure")))
	s.await(ok, "start", "die 0")
}

func testRestartAlways(t *testing.T, s *suite) {
	id := s.run(s.spec("job", exitWith("0"), restart("always")))
	s.await(id, "start", "die 0", "start", "die 0", "start")
	s.must(s.Engine.ContainerStop(t.Context(), id, 10*time.Second))
	testutil.Eventually(t, "the stopped container to stay exited", func() bool {
		return s.inspect(id).State == "exited"
	})
}

func testRestartNo(t *testing.T, s *suite) {
	for _, policy := range []string{"", "no"} {
		id := s.run(s.spec("job"+policy, exitWith("1"), restart(policy)))
		s.await(id, "start", "die 1")
		if c := s.inspect(id); c.State != "exited" {
			t.Errorf("restart %q: state %q after the exit, want exited", policy, c.State)
		}
	}
}

func testViews(t *testing.T, s *suite) {
	id := s.run(s.spec("web", func(c *engine.ContainerSpec) {
		c.Ports = []engine.PublishedPort{{HostIP: "127.0.0.1", ContainerPort: 8080}}
	}))
	img, err := s.Engine.ImageInspect(t.Context(), s.Image)
	s.must(err)
	in, ob := s.inspect(id), s.observed(id)
	if in.ImageID != img.ID {
		t.Errorf("container image %s, want %s", in.ImageID, img.ID)
	}
	// The list view leaves out what only an inspect reads.
	in.StartedAt, in.FinishedAt, in.HealthLog = time.Time{}, time.Time{}, ""
	if diff := cmp.Diff(in, ob); diff != "" {
		t.Errorf("inspect and Observe differ (-inspect +observe):\n%s", diff)
	}
	if in.Name != s.Project+"-web" || in.Service != "web" || in.ConfigHash != "hash-web" || in.Project != s.Project {
		t.Errorf("inspected %+v", in)
	}
	if byName := s.inspect(in.Name); byName.ID != id {
		t.Errorf("inspect by name gave %s, want %s", byName.ID, id)
	}
}

func testAllContainers(t *testing.T, s *suite) {
	id := s.create(s.spec("web"))
	all, err := s.Engine.AllContainers(t.Context())
	s.must(err)
	for _, c := range all {
		if c.ID == id {
			if c.Name != s.Project+"-web" || c.State != "created" {
				t.Errorf("listed %+v", c)
			}
			return
		}
	}
	t.Errorf("AllContainers does not list %s", id)
}

func testLogs(t *testing.T, s *suite) {
	id := s.run(s.spec("web"))
	var lines []engine.LogLine
	testutil.Eventually(t, "testsvc's start line in the log", func() bool {
		lines = readLogs(t, s.Engine, id, engine.LogOptions{Tail: "all", Timestamps: true})
		return len(lines) > 0
	})
	if l := lines[0]; !strings.Contains(l.Text, "msg=start") || l.Stream != "stdout" || l.Time.IsZero() {
		t.Errorf("first line %+v, want testsvc's start line on stdout with a time", l)
	}
	if l := readLogs(t, s.Engine, id, engine.LogOptions{Tail: "all"}); !l[0].Time.IsZero() {
		t.Errorf("line without Timestamps has time %v", l[0].Time)
	}
	if l := readLogs(t, s.Engine, id, engine.LogOptions{Tail: "1"}); len(l) != 1 || l[0].Text != lines[len(lines)-1].Text {
		t.Errorf("tail 1 gave %+v, want the last of %d lines", l, len(lines))
	}
	_, errs := s.Engine.ContainerLogs(t.Context(), s.Project+"-nope", engine.LogOptions{Tail: "all"})
	s.is("logs of a missing container", testutil.Receive(t, "the logs' error", errs), engine.ErrNotFound)
	follow, errs := s.Engine.ContainerLogs(t.Context(), id, engine.LogOptions{Follow: true, Tail: "0"})
	s.must(s.Engine.ContainerStop(t.Context(), id, 10*time.Second))
	// testsvc may say goodbye; the stream must end with the container.
	ended := make(chan error, 1)
	go func() {
		for range follow {
		}
		ended <- <-errs
	}()
	s.must(testutil.Receive(t, "the end of the followed log", ended))
}

func readLogs(t *testing.T, e engine.Engine, id string, opts engine.LogOptions) []engine.LogLine {
	t.Helper()
	lines, errs := e.ContainerLogs(t.Context(), id, opts)
	var got []engine.LogLine
	for l := range lines {
		got = append(got, l)
	}
	if err := <-errs; err != nil {
		t.Fatalf("logs: %v", err)
	}
	return got
}

func testExec(t *testing.T, s *suite) {
	id := s.run(s.spec("web"))
	testutil.EventuallyNoError(t, "testsvc to answer /app health", func() error {
		code, out, err := s.Engine.ContainerExec(t.Context(), id, []string{"/app", "health"})
		if err == nil && (code != 0 || !strings.Contains(out, "ok")) {
			return fmt.Errorf("exec: exit %d, output %q", code, out)
		}
		return err
	})
	var out strings.Builder
	code, err := s.Engine.ExecInteractive(t.Context(), id, engine.ExecOptions{
		Cmd: []string{"/app", "health"}, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out,
	})
	if err != nil || code != 0 || !strings.Contains(out.String(), "ok") {
		t.Errorf("interactive exec: exit %d, output %q, %v; want 0 and ok", code, out.String(), err)
	}
	s.must(s.Engine.ContainerStop(t.Context(), id, 10*time.Second))
	_, _, err = s.Engine.ContainerExec(t.Context(), id, []string{"/app", "health"})
	s.is("exec in a stopped container", err, engine.ErrConflict)
	_, err = s.Engine.ExecInteractive(t.Context(), id, engine.ExecOptions{Cmd: []string{"/app", "health"}, Stdout: &out})
	s.is("interactive exec in a stopped container", err, engine.ErrConflict)
	_, _, err = s.Engine.ContainerExec(t.Context(), s.Project+"-nope", []string{"/app", "health"})
	s.is("exec in a missing container", err, engine.ErrNotFound)
}

func testEventsOfProject(t *testing.T, s *suite) {
	other := s.spec("web")
	other.Name = s.Project + "-other"
	other.Labels = map[string]string{engine.LabelProject: s.Project + "-other", engine.LabelService: "web"}
	otherID := s.create(other)
	t.Cleanup(func() { _ = s.Engine.ContainerRemove(context.WithoutCancel(t.Context()), otherID) })
	id := s.create(s.spec("web"))
	s.await(id, "create")
	if seen := s.events.seen[otherID]; len(seen) > 0 {
		t.Errorf("events of another project came through: %q", seen)
	}
	ctx, cancel := context.WithCancel(t.Context())
	events, errs := s.Engine.Events(ctx, s.Project)
	cancel()
	for range events {
	}
	s.is("the end of a cancelled stream", testutil.Receive(t, "the stream's error", errs), context.Canceled)
}
