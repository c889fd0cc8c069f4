package env

import (
	"context"
	"fmt"
	"sync"

	"github.com/devenv-dev/devenv/env/config"
)

// signal is a one-shot broadcast: closed once, waited on by many.
type signal struct {
	once sync.Once
	ch   chan struct{}
}

func newSignal() *signal { return &signal{ch: make(chan struct{})} }
func (s *signal) fire()  { s.once.Do(func() { close(s.ch) }) }
func (s *signal) fired() bool {
	select {
	case <-s.ch:
		return true
	default:
		return false
	}
}

// serviceState is what one service has reached during a run. Its signals only
// ever move forward; readers select on them.
type serviceState struct {
	name      string
	started   *signal
	healthy   *signal
	exited    *signal
	failed    *signal
	unhealthy *signal
	// hasHealth is set by the service's own goroutine before it awaits readiness.
	hasHealth bool
	mu        sync.Mutex
	exitCode  int           // guarded by mu; valid once exited fired
	err       *ServiceError // guarded by mu; set before failed fires
	container string        // guarded by mu; ID of the service's container
	probeOut  string        // guarded by mu; output of the last failed early probe
}

func newServiceState(name string) *serviceState {
	return &serviceState{name: name, started: newSignal(), healthy: newSignal(), exited: newSignal(), failed: newSignal(), unhealthy: newSignal()}
}

func (s *serviceState) setContainer(id string) {
	s.mu.Lock()
	s.container = id
	s.mu.Unlock()
}

func (s *serviceState) containerID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.container
}

func (s *serviceState) markExited(code int) {
	s.mu.Lock()
	if !s.exited.fired() {
		s.exitCode = code
	}
	s.mu.Unlock()
	s.exited.fire()
}

func (s *serviceState) code() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exitCode
}

// fail records the first failure of the service.
func (s *serviceState) fail(e *ServiceError) {
	s.mu.Lock()
	if s.err == nil {
		s.err = e
	}
	s.mu.Unlock()
	s.failed.fire()
}

func (s *serviceState) failure() *ServiceError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// errDependency says a dependency did not reach the condition a dependant needs.
type errDependency struct {
	dep    string
	reason string
}

func (e *errDependency) Error() string { return fmt.Sprintf("dependency %s %s", e.dep, e.reason) }

// wait blocks until the service meets cond, fails to, or ctx ends.
func (s *serviceState) wait(ctx context.Context, cond config.Condition) error {
	var ok <-chan struct{}
	switch cond {
	case config.ServiceHealthy:
		ok = s.healthy.ch
	case config.ServiceCompletedSuccessfully:
		ok = nil
	default:
		ok = s.started.ch
	}
	select {
	case <-ok:
		return nil
	default:
	}
	select {
	case <-ok:
		return nil
	case <-s.exited.ch:
		if code := s.code(); cond == config.ServiceCompletedSuccessfully && code == 0 {
			return nil
		} else if cond == config.ServiceStarted && s.started.fired() {
			return nil
		} else {
			return &errDependency{s.name, fmt.Sprintf("exited with code %d", code)}
		}
	case <-s.failed.ch:
		return &errDependency{s.name, "failed"}
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (s *serviceState) setProbeOutput(out string) {
	s.mu.Lock()
	s.probeOut = out
	s.mu.Unlock()
}

func (s *serviceState) probeOutput() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.probeOut
}
