package enginetest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/devenv-dev/devenv/env/engine"
)

// killExitCode is what a process killed with SIGKILL exits with, as the
// engine reports it (128 + 9).
const killExitCode = 137

// ContainerStart starts the container and plays its Behaviour. A host port
// published by another running container gives engine.ErrConflict.
// Starting a running container does nothing.
func (f *Fake) ContainerStart(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc, err := f.containerLocked("start", id)
	if err != nil {
		return err
	}
	if fc.c.State == "running" {
		return nil
	}
	if err := f.portConflictLocked(fc); err != nil {
		return err
	}
	fc.restarts = 0
	return f.startLocked(fc)
}

// startLocked runs fc: by a call or by its restart policy.
func (f *Fake) startLocked(fc *fakeContainer) error {
	if fc.spec.Network != "" {
		n := f.networkLocked(fc.spec.Network)
		if n == nil {
			return fmt.Errorf("starting container %s: %w: network %s", fc.c.Name, engine.ErrNotFound, fc.spec.Network)
		}
		fc.networkID = n.ID
	}
	for _, e := range fc.spec.MoreNetworks {
		if f.networkLocked(e.Network) == nil {
			return fmt.Errorf("starting container %s: %w: network %s", fc.c.Name, engine.ErrNotFound, e.Network)
		}
	}
	if err := f.bindPortsLocked(fc); err != nil {
		return err
	}
	b := Behaviour{}
	if f.OnStart != nil {
		b = f.OnStart(cloneSpec(fc.spec))
	}
	fc.behaviour = b
	fc.gen++
	fc.c.State, fc.c.ExitCode, fc.c.Health, fc.c.HealthLog = "running", 0, "", ""
	fc.c.StartedAt, fc.c.FinishedAt = time.Now(), time.Time{}
	f.emitLocked(fc, "start", "")
	f.appendLogsLocked(fc, b.Logs)
	if hasHealthcheck(fc.health) {
		fc.c.Health = "starting"
		f.afterLocked(fc, b.HealthAfter, func() { f.settleHealthLocked(fc) })
	}
	if b.Exit {
		f.afterLocked(fc, b.ExitAfter, func() { f.exitLocked(fc, b.ExitCode) })
	}
	return nil
}

func hasHealthcheck(h *engine.HealthSpec) bool {
	return h != nil && len(h.Test) > 0 && h.Test[0] != "NONE"
}

// afterLocked runs fn under f.mu after d, unless the container was started or
// stopped again meanwhile. A zero d runs fn now.
func (f *Fake) afterLocked(fc *fakeContainer, d time.Duration, fn func()) {
	gen := fc.gen
	if d <= 0 {
		fn()
		return
	}
	time.AfterFunc(d, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if fc.gen == gen && fc.c.State == "running" {
			fn()
		}
	})
}

func (f *Fake) settleHealthLocked(fc *fakeContainer) {
	if fc.c.State != "running" {
		return
	}
	health := fc.behaviour.Health
	if health == "" {
		health = "healthy"
	}
	fc.c.HealthLog = fc.behaviour.HealthLog
	if health != "starting" {
		f.setHealthLocked(fc, health)
	}
}

func (f *Fake) setHealthLocked(fc *fakeContainer, health string) {
	fc.c.Health = health
	f.emitLocked(fc, "health_status", health)
}

// dieLocked ends a running container with code. The health check stops
// with it: the engine keeps the last status, and lists an exited container
// with none; Observe and ContainerInspect of engine.Docker both report none.
func (f *Fake) dieLocked(fc *fakeContainer, code int) {
	if fc.c.State != "running" {
		return
	}
	fc.gen++
	fc.c.State, fc.c.ExitCode, fc.c.Health = "exited", code, ""
	fc.c.FinishedAt = time.Now()
	f.closeListenersLocked(fc)
	fc.networkID = ""
	ev := f.eventLocked(fc, "die", "")
	ev.ExitCode = code
	f.sendLocked(fc.c.Project, ev)
	f.wakeLogsLocked(fc)
}

// exitLocked ends a running container whose process exited by itself with
// code, and restarts it when its restart policy says so, after the
// engine's back-off (100 ms, doubling with each restart).
func (f *Fake) exitLocked(fc *fakeContainer, code int) {
	if fc.c.State != "running" {
		return
	}
	f.dieLocked(fc, code)
	if !restarts(fc.spec.Restart, code, fc.restarts) {
		return
	}
	fc.c.State = "restarting"
	gen := fc.gen
	delay := 100 * time.Millisecond << min(fc.restarts, 10)
	fc.restarts++
	time.AfterFunc(delay, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if fc.gen == gen && fc.c.State == "restarting" && f.containers[fc.c.ID] == fc {
			if err := f.startLocked(fc); err != nil {
				fc.c.State = "exited"
			}
		}
	})
}

// restarts says whether policy restarts a container that exited with code
// after done restarts.
func restarts(policy string, code, done int) bool {
	name, count, _ := strings.Cut(policy, ":")
	switch name {
	case "always", "unless-stopped":
		return true
	case "on-failure":
		n, err := strconv.Atoi(count)
		return code != 0 && (err != nil || n == 0 || done < n)
	}
	return false
}

// ContainerStop stops a running container with its Behaviour's
// StopExitCode, sending the kill event of the stop signal first; stopping
// a stopped container does nothing, and stopping one waiting for its
// restart cancels the restart.
func (f *Fake) ContainerStop(ctx context.Context, id string, timeout time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc, err := f.containerLocked("stop", id)
	if err != nil {
		return err
	}
	switch fc.c.State {
	case "running":
		f.emitLocked(fc, "kill", "")
		f.dieLocked(fc, fc.behaviour.StopExitCode)
		f.emitLocked(fc, "stop", "")
	case "restarting":
		fc.gen++
		fc.c.State = "exited"
		f.emitLocked(fc, "stop", "")
	}
	return nil
}

// ContainerRemove removes a container, killing it first if it runs: it
// then exits with 137, as after SIGKILL.
func (f *Fake) ContainerRemove(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc, err := f.containerLocked("remove", id)
	if err != nil {
		return err
	}
	if fc.c.State == "running" {
		f.emitLocked(fc, "kill", "")
		f.dieLocked(fc, killExitCode)
	}
	fc.gen++
	delete(f.containers, fc.c.ID)
	f.emitLocked(fc, "destroy", "")
	f.wakeLogsLocked(fc)
	return nil
}

// SetHealth changes a running container's health and emits the
// health_status event, as a probe would.
func (f *Fake) SetHealth(idOrName, health string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc := f.lookupLocked(idOrName)
	if fc == nil || fc.c.State != "running" {
		return fmt.Errorf("setting health of %s: %w: no such running container", idOrName, engine.ErrNotFound)
	}
	f.setHealthLocked(fc, health)
	return nil
}

// Exit makes a running container exit with code, as if its process ended;
// its restart policy applies.
func (f *Fake) Exit(idOrName string, code int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc := f.lookupLocked(idOrName)
	if fc == nil || fc.c.State != "running" {
		return fmt.Errorf("exiting %s: %w: no such running container", idOrName, engine.ErrNotFound)
	}
	f.exitLocked(fc, code)
	return nil
}
