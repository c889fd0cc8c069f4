package enginetest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/devenv-dev/devenv/env/engine"
)

// ContainerPause freezes a running container: it stays listed as paused.
func (f *Fake) ContainerPause(ctx context.Context, id string) error {
	return f.flip(id, "pause", "running", "paused")
}

// ContainerUnpause resumes a paused container.
func (f *Fake) ContainerUnpause(ctx context.Context, id string) error {
	return f.flip(id, "unpause", "paused", "running")
}

// flip moves a container from state from to state to, emitting action; a
// container in another state gives engine.ErrConflict.
func (f *Fake) flip(id, action, from, to string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc, err := f.containerLocked(action, id)
	if err != nil {
		return err
	}
	if fc.c.State != from {
		return fmt.Errorf("%s container %s: %w: it is %s", action, fc.c.Name, engine.ErrConflict, fc.c.State)
	}
	fc.c.State = to
	f.emitLocked(fc, action, "")
	return nil
}

// ContainerKill signals a running or paused container. SIGKILL (also ""
// and 9) ends it with 137; SIGTERM and SIGINT end it as a stop does
// (Behaviour.StopExitCode); any other signal ends it with 128+N, as an
// unhandled signal does. No restart policy applies.
func (f *Fake) ContainerKill(ctx context.Context, id, signal string) error {
	n, err := signalNumber(signal)
	if err != nil {
		return fmt.Errorf("killing container %s: %w", id, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fc, err := f.containerLocked("kill", id)
	if err != nil {
		return err
	}
	if fc.c.State != "running" && fc.c.State != "paused" {
		return fmt.Errorf("killing container %s: %w: it is not running", fc.c.Name, engine.ErrConflict)
	}
	code := 128 + n
	if n == 15 || n == 2 {
		code = fc.behaviour.StopExitCode
	}
	fc.c.State = "running"
	f.emitLocked(fc, "kill", "")
	f.dieLocked(fc, code)
	return nil
}

var signals = map[string]int{
	"HUP": 1, "INT": 2, "QUIT": 3, "KILL": 9, "USR1": 10, "USR2": 12, "TERM": 15,
}

// signalNumber reads a signal as the engine does: a name with or without
// SIG, or a number.
func signalNumber(s string) (int, error) {
	if s == "" {
		return 9, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65 {
		return n, nil
	}
	if n, ok := signals[strings.TrimPrefix(strings.ToUpper(s), "SIG")]; ok {
		return n, nil
	}
	return 0, fmt.Errorf("invalid signal: %s", s)
}

// ContainerDelete removes a container that is not running; a running or
// paused one gives engine.ErrConflict. The fake keeps no anonymous
// volumes, so volumes changes nothing.
func (f *Fake) ContainerDelete(ctx context.Context, id string, volumes bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc, err := f.containerLocked("delete", id)
	if err != nil {
		return err
	}
	if fc.c.State == "running" || fc.c.State == "paused" || fc.c.State == "restarting" {
		return fmt.Errorf("removing container %s: %w: it is %s; stop it first", fc.c.Name, engine.ErrConflict, fc.c.State)
	}
	fc.gen++
	delete(f.containers, fc.c.ID)
	f.emitLocked(fc, "destroy", "")
	f.wakeLogsLocked(fc)
	return nil
}

// ContainerTop lists one process, PID 1, running the container's
// entrypoint and command (or "/app" when the spec names neither).
func (f *Fake) ContainerTop(ctx context.Context, id string) (engine.Processes, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(); err != nil {
		return engine.Processes{}, err
	}
	fc := f.lookupLocked(id)
	if fc == nil {
		return engine.Processes{}, fmt.Errorf("listing processes of container %s: %w", id, engine.ErrNotFound)
	}
	if fc.c.State != "running" && fc.c.State != "paused" {
		return engine.Processes{}, fmt.Errorf("listing processes of container %s: %w: it is not running", fc.c.Name, engine.ErrConflict)
	}
	cmd := strings.Join(append(slices.Clone(fc.spec.Entrypoint), fc.spec.Command...), " ")
	if cmd == "" {
		cmd = "/app"
	}
	return engine.Processes{
		Titles: []string{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"},
		Rows:   [][]string{{"root", "4242", "4221", "0", "12:00", "?", "00:00:00", cmd}},
	}, nil
}
