package enginetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/internal/testutil"
)

// Target is an engine under RunConformance and what the suite needs around
// it. Its containers run testsvc (examples/testsvc), whose flags and
// TESTSVC_* environment say how they behave: a fake plays them with OnStart.
type Target struct {
	Engine engine.Engine
	// Project is a name of this target's own; the suite labels all it
	// creates with it, and the target removes that when its test ends.
	Project string
	// Image is a local testsvc image with no healthcheck in its config;
	// HealthImage one whose config checks `/app health` every 200 ms and
	// fails after one failed probe.
	Image, HealthImage string
	// Remote is a tag a registry holds and the engine does not (yet), and
	// RemoteDigest its manifest digest; Missing is a reference in the same
	// registry that it does not hold.
	Remote, RemoteDigest, Missing string
}

// RunConformance checks that an engine behaves as devenv relies on the
// Docker Engine to behave. newTarget gives each subtest a fresh target; the
// subtests run in parallel.
func RunConformance(t *testing.T, newTarget func(t *testing.T) Target) {
	for _, c := range conformanceCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newSuite(t, newTarget(t)))
		})
	}
}

type conformanceCase struct {
	name string
	run  func(t *testing.T, s *suite)
}

func conformanceCases() []conformanceCase {
	return slices.Concat(containerCases(), healthCases(), resourceCases(), buildCases(), networkingCases(), copyCases(), controlCases())
}

// suite is one subtest's target with its event stream.
type suite struct {
	Target
	t      *testing.T
	events *eventLog
}

func newSuite(t *testing.T, tg Target) *suite {
	events, errs := tg.Engine.Events(t.Context(), tg.Project)
	return &suite{Target: tg, t: t, events: &eventLog{events: events, errs: errs}}
}

// healthSpec is the check the suite's containers declare: fast, and
// unhealthy after one failed probe.
func healthSpec() *engine.HealthSpec {
	return &engine.HealthSpec{
		Test:     []string{"CMD", "/app", "health"},
		Interval: 200 * time.Millisecond, Timeout: 10 * time.Second, Retries: 1,
	}
}

// spec is the spec of service svc of the suite's project, running Image.
func (s *suite) spec(svc string, edit ...func(*engine.ContainerSpec)) engine.ContainerSpec {
	spec := engine.ContainerSpec{
		Name:  s.Project + "-" + svc,
		Image: s.Image,
		Labels: map[string]string{
			engine.LabelProject: s.Project, engine.LabelService: svc, engine.LabelConfigHash: "hash-" + svc,
		},
	}
	for _, e := range edit {
		e(&spec)
	}
	return spec
}

// create creates a container and fails the test if it cannot.
func (s *suite) create(spec engine.ContainerSpec) string {
	s.t.Helper()
	id, err := s.Engine.ContainerCreate(s.t.Context(), spec)
	s.must(err)
	return id
}

// run creates and starts a container.
func (s *suite) run(spec engine.ContainerSpec) string {
	s.t.Helper()
	id := s.create(spec)
	s.must(s.Engine.ContainerStart(s.t.Context(), id))
	return id
}

// runReady runs a container and waits for testsvc's start line, after
// which it exits 0 on SIGTERM (before, the signal may find no handler).
func (s *suite) runReady(spec engine.ContainerSpec) string {
	s.t.Helper()
	id := s.run(spec)
	s.ready(id)
	return id
}

// ready waits for testsvc's start line in the log of container id.
func (s *suite) ready(id string) {
	s.t.Helper()
	testutil.Eventually(s.t, "testsvc's start line in the log", func() bool {
		return len(readLogs(s.t, s.Engine, id, engine.LogOptions{Tail: "all"})) > 0
	})
}

func (s *suite) inspect(id string) engine.Container {
	s.t.Helper()
	c, err := s.Engine.ContainerInspect(s.t.Context(), id)
	s.must(err)
	return c
}

// observed is the container id as Observe lists it.
func (s *suite) observed(id string) engine.Container {
	s.t.Helper()
	obs, err := s.Engine.Observe(s.t.Context(), s.Project)
	s.must(err)
	for _, c := range obs.Containers {
		if c.ID == id {
			return c
		}
	}
	s.t.Fatalf("Observe does not list container %s", id)
	return engine.Container{}
}

// network creates a network of the project and returns its ID.
func (s *suite) network(name string) string {
	s.t.Helper()
	id, err := s.Engine.NetworkCreate(s.t.Context(), engine.NetworkSpec{
		Name: s.Project + "-" + name, Labels: map[string]string{engine.LabelProject: s.Project},
	})
	s.must(err)
	return id
}

func (s *suite) must(err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
}

func (s *suite) is(what string, err, want error) {
	s.t.Helper()
	if !errors.Is(err, want) {
		s.t.Errorf("%s: got %v, want an error matching %q", what, err, want)
	}
}

// await reads events until those of container id include want, in order
// (others may come between), and returns the container's events read.
func (s *suite) await(id string, want ...string) []string {
	s.t.Helper()
	return s.events.await(s.t, id, want)
}

// eventLog reads one Events stream.
type eventLog struct {
	events <-chan engine.Event
	errs   <-chan error
	seen   map[string][]string // by container ID, what await read
}

func (l *eventLog) await(t *testing.T, id string, want []string) []string {
	t.Helper()
	if l.seen == nil {
		l.seen = map[string][]string{}
	}
	var got []string
	for i := 0; i < len(want); {
		ev := testutil.Receive(t, fmt.Sprintf("events %q of %.12s (read so far: %q)", want, id, got), l.events)
		if ev.ContainerID != id {
			l.seen[ev.ContainerID] = append(l.seen[ev.ContainerID], briefEvent(ev))
			continue
		}
		got = append(got, briefEvent(ev))
		if got[len(got)-1] == want[i] {
			i++
		}
	}
	return got
}

// briefEvent is an event as the suite compares it: "start", "die 7",
// "health_status healthy".
func briefEvent(ev engine.Event) string {
	switch {
	case ev.Action == "die":
		return fmt.Sprintf("die %d", ev.ExitCode)
	case ev.Health != "":
		return ev.Action + " " + ev.Health
	}
	return ev.Action
}

// count is how many of seen are want.
func count(seen []string, want string) int {
	n := 0
	for _, s := range seen {
		if s == want {
			n++
		}
	}
	return n
}
