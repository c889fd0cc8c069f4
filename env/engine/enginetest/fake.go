// Package enginetest provides Fake, an in-memory engine.Engine for tests of
// the code that drives an engine. It keeps containers, networks, volumes and
// images in maps, emits the events a Docker Engine would, lets a test say how
// each started container behaves, and records the calls that change things.
//
// RunConformance holds an engine to what devenv relies on the Docker Engine
// to do; the fake and engine.Docker both pass it, so a test that passes on
// the fake says something about the real engine.
package enginetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/devenv-dev/devenv/env/engine"
)

// Behaviour is how a started fake container acts. The zero Behaviour runs
// until stopped and, with a health check, becomes healthy at once.
type Behaviour struct {
	// Health is what the health check settles on: "healthy" (the default),
	// "unhealthy", or "starting" to never settle. Ignored without a health
	// check in the spec.
	Health string
	// HealthAfter is how long after the start the health settles.
	HealthAfter time.Duration
	// HealthLog is the output of the last probe, as ContainerInspect reports it.
	HealthLog string

	// Exit makes the container exit by itself with ExitCode, ExitAfter after
	// the start.
	Exit      bool
	ExitCode  int
	ExitAfter time.Duration
	// StopExitCode is the exit code ContainerStop leaves (a forced removal
	// kills: 137).
	StopExitCode int

	// Logs are written to the container's log at each start.
	Logs []engine.LogLine
	// Exec answers ContainerExec and ExecInteractive; nil answers exit code 0
	// and no output.
	Exec func(cmd []string) (exitCode int, output string)
}

// Fake is an in-memory engine.Engine. The zero value is not usable; call
// New. All methods are safe for concurrent use.
//
// Calls records, in order, the calls that change something:
//
//	create NAME, start NAME, stop NAME, remove NAME, exec NAME,
//	network-create NAME, network-remove NAME, volume-create NAME,
//	volume-remove NAME, pull REF, build TAG, pause NAME, unpause NAME,
//	kill NAME, delete NAME
//
// where NAME is the container's (or network's) name, also when the call
// named it by ID. Reads (Ping, Observe, inspects, logs, events) are not
// recorded.
type Fake struct {
	// OnStart, when not nil, is asked how a container behaves each time it
	// starts. Set it before the Fake is used. It is called with the Fake's
	// lock held, so it must not call the Fake.
	OnStart func(spec engine.ContainerSpec) Behaviour

	mu          sync.Mutex
	nextID      int                       // guarded by mu
	containers  map[string]*fakeContainer // by ID; guarded by mu
	networks    map[string]engine.Network // by ID; guarded by mu
	volumes     map[string]engine.Volume  // by name; guarded by mu
	images      map[string]*fakeImage     // local, by reference and by ID; guarded by mu
	remote      map[string]remoteImage    // what a registry holds, by reference; guarded by mu
	calls       []string                  // guarded by mu
	failures    map[string][]error        // by call, consumed in order; guarded by mu
	unreachable bool                      // guarded by mu
	subs        map[*subscriber]struct{}  // guarded by mu
}

// fakeContainer is a container and what the fake needs to play it.
type fakeContainer struct {
	c         engine.Container
	spec      engine.ContainerSpec
	health    *engine.HealthSpec // the spec's check, else the image's; nil for none
	networkID string             // while running, the network spec.Network names by ID or name
	behaviour Behaviour
	gen       int                          // incremented at each start and stop; timers of older ones do nothing
	restarts  int                          // restarts by the restart policy since the last start by a call
	listeners []interface{ Close() error } // host ports the engine chose, held while running
	logs      []engine.LogLine
	logWake   chan struct{}     // closed and replaced when logs grow or the container stops
	files     containerFileTree // by absolute path, with the directories; made on first use (copy.go)
}

var _ engine.Engine = (*Fake)(nil)

// New returns an empty Fake.
func New() *Fake {
	return &Fake{
		containers: map[string]*fakeContainer{},
		networks:   map[string]engine.Network{},
		volumes:    map[string]engine.Volume{},
		images:     map[string]*fakeImage{},
		remote:     map[string]remoteImage{},
		failures:   map[string][]error{},
		subs:       map[*subscriber]struct{}{},
	}
}

// Calls returns the recorded calls, oldest first.
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// ResetCalls forgets the recorded calls.
func (f *Fake) ResetCalls() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
}

// FailNext makes the next call recorded as call (such as "start sample-web")
// fail with err, after recording it. Several FailNext of one call fail that
// many calls, in order.
func (f *Fake) FailNext(call string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures[call] = append(f.failures[call], err)
}

// SetUnreachable makes every method fail with engine.ErrUnreachable (true)
// or work again (false).
func (f *Fake) SetUnreachable(unreachable bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unreachable = unreachable
}

// recordLocked records a call and returns the failure queued for it, if any.
func (f *Fake) recordLocked(call string) error {
	f.calls = append(f.calls, call)
	errs := f.failures[call]
	if len(errs) == 0 {
		return nil
	}
	f.failures[call] = errs[1:]
	return errs[0]
}

// checkLocked fails when the fake plays an unreachable engine.
func (f *Fake) checkLocked() error {
	if f.unreachable {
		return fmt.Errorf("fake engine: %w", engine.ErrUnreachable)
	}
	return nil
}

// newIDLocked returns a fresh 64-hex-digit ID.
func (f *Fake) newIDLocked(name string) string {
	f.nextID++
	return hexOf(fmt.Sprintf("%s#%d", name, f.nextID))
}

func hexOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Ping fails only when the fake plays an unreachable engine.
func (f *Fake) Ping(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.checkLocked()
}

// Observe returns copies of the project's objects, sorted by name, with
// containers as engine.Docker's Observe lists them (see listed).
func (f *Fake) Observe(ctx context.Context, project string) (*engine.Observed, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(); err != nil {
		return nil, err
	}
	var obs engine.Observed
	for _, fc := range f.containers {
		if fc.c.Project == project {
			obs.Containers = append(obs.Containers, listed(fc.c))
		}
	}
	for _, n := range f.networks {
		if n.Labels[engine.LabelProject] == project {
			obs.Networks = append(obs.Networks, n)
		}
	}
	for _, v := range f.volumes {
		if v.Labels[engine.LabelProject] == project {
			obs.Volumes = append(obs.Volumes, v)
		}
	}
	sortByName(obs.Containers, func(c engine.Container) string { return c.Name })
	sortByName(obs.Networks, func(n engine.Network) string { return n.Name })
	sortByName(obs.Volumes, func(v engine.Volume) string { return v.Name })
	return &obs, nil
}

// AllContainers returns copies of every container, sorted by name.
func (f *Fake) AllContainers(ctx context.Context) ([]engine.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(); err != nil {
		return nil, err
	}
	var cs []engine.Container
	for _, fc := range f.containers {
		cs = append(cs, listed(fc.c))
	}
	sortByName(cs, func(c engine.Container) string { return c.Name })
	return cs, nil
}

func sortByName[T any](s []T, name func(T) string) {
	slices.SortFunc(s, func(a, b T) int { return strings.Compare(name(a), name(b)) })
}

// listed is a copy of c as the engine's list of containers shows it: without
// what only an inspect reads.
func listed(c engine.Container) engine.Container {
	c = copyContainer(c)
	c.StartedAt, c.FinishedAt, c.HealthLog = time.Time{}, time.Time{}, ""
	return c
}

// copyContainer copies c so callers cannot change the fake's state.
func copyContainer(c engine.Container) engine.Container {
	c.Ports = slices.Clone(c.Ports)
	if c.Labels != nil {
		labels := make(map[string]string, len(c.Labels))
		for k, v := range c.Labels {
			labels[k] = v
		}
		c.Labels = labels
	}
	return c
}
