package env

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// Statuses of pause, unpause, kill and rm.
const (
	StatusPaused   Status = "paused"
	StatusUnpaused Status = "unpaused"
	StatusKilled   Status = "killed"
)

// Pause freezes the services' running containers (all services when none
// is named); others are reported skipped.
func Pause(ctx context.Context, eng engine.Engine, p *config.Project, opts LifecycleOptions) error {
	return eachInState(ctx, eng, p, opts.Services, opts.Progress, []string{"running"}, func(c engine.Container, rep Reporter) error {
		if err := eng.ContainerPause(ctx, c.ID); err != nil {
			return err
		}
		emit(rep, KindService, c.Service, StatusPaused, c.Name)
		return nil
	})
}

// Unpause resumes the services' paused containers.
func Unpause(ctx context.Context, eng engine.Engine, p *config.Project, opts LifecycleOptions) error {
	return eachInState(ctx, eng, p, opts.Services, opts.Progress, []string{"paused"}, func(c engine.Container, rep Reporter) error {
		if err := eng.ContainerUnpause(ctx, c.ID); err != nil {
			return err
		}
		emit(rep, KindService, c.Service, StatusUnpaused, c.Name)
		return nil
	})
}

// KillOptions configures Kill.
type KillOptions struct {
	// Services to act on; empty means every service with a container.
	Services []string
	// Signal to send: a name (SIGTERM, TERM) or number; "" is SIGKILL.
	Signal string
	// Progress receives events; nil discards them.
	Progress Reporter
}

// Kill sends a signal to the services' running (or paused) containers.
func Kill(ctx context.Context, eng engine.Engine, p *config.Project, opts KillOptions) error {
	sig := opts.Signal
	if sig == "" {
		sig = "SIGKILL"
	}
	return eachInState(ctx, eng, p, opts.Services, opts.Progress, []string{"running", "paused"}, func(c engine.Container, rep Reporter) error {
		if err := eng.ContainerKill(ctx, c.ID, sig); err != nil {
			return err
		}
		emit(rep, KindService, c.Service, StatusKilled, sig)
		return nil
	})
}

// RemoveOptions configures Remove.
type RemoveOptions struct {
	// Services to act on; empty means every service with a container.
	Services []string
	// Stop stops running containers first; without it only stopped
	// containers are removed.
	Stop bool
	// Volumes removes the containers' anonymous volumes too.
	Volumes bool
	// Timeout is how long a container gets to stop; 0 means its
	// stop_grace_period, else 10 s.
	Timeout time.Duration
	// Progress receives events; nil discards them.
	Progress Reporter
}

// Removable lists the containers Remove would remove, for a caller that
// asks before removing.
func Removable(ctx context.Context, eng engine.Engine, p *config.Project, opts RemoveOptions) ([]engine.Container, error) {
	all, err := containersOf(ctx, eng, p, opts.Services)
	if err != nil {
		return nil, err
	}
	var out []engine.Container
	for _, c := range all {
		if opts.Stop || !isActive(c.State) {
			out = append(out, c)
		}
	}
	return out, nil
}

func isActive(state string) bool {
	return state == "running" || state == "paused" || state == "restarting"
}

// Remove removes the services' stopped containers (and, with Stop, stops
// the running ones first). Networks and named volumes stay.
func Remove(ctx context.Context, eng engine.Engine, p *config.Project, opts RemoveOptions) error {
	targets, err := Removable(ctx, eng, p, opts)
	if err != nil {
		return err
	}
	rep := reporterOr(opts.Progress)
	return inParallel(targets, func(c engine.Container) error {
		if isActive(c.State) {
			emit(rep, KindService, c.Service, StatusStopping, c.Name)
			if err := eng.ContainerStop(ctx, c.ID, graceFor(c, opts.Timeout)); err != nil {
				return err
			}
			emit(rep, KindService, c.Service, StatusStopped, c.Name)
		}
		emit(rep, KindService, c.Service, StatusRemoving, c.Name)
		if err := eng.ContainerDelete(ctx, c.ID, opts.Volumes); err != nil && !errors.Is(err, engine.ErrNotFound) {
			return err
		}
		emit(rep, KindService, c.Service, StatusRemoved, c.Name)
		return nil
	})
}

// eachInState runs fn on the named services' containers that are in one of
// states, in parallel, and reports the others skipped.
func eachInState(ctx context.Context, eng engine.Engine, p *config.Project, services []string, progress Reporter, states []string, fn func(engine.Container, Reporter) error) error {
	all, err := containersOf(ctx, eng, p, services)
	if err != nil {
		return err
	}
	rep := reporterOr(progress)
	var targets []engine.Container
	for _, c := range all {
		if inStates(c.State, states) {
			targets = append(targets, c)
		} else {
			emit(rep, KindService, c.Service, StatusSkipped, c.Name+" is "+c.State)
		}
	}
	return inParallel(targets, func(c engine.Container) error { return fn(c, rep) })
}

func inStates(s string, states []string) bool { return slices.Contains(states, s) }

// inParallel runs fn on each container at once and joins the errors, each
// naming its service.
func inParallel(cs []engine.Container, fn func(engine.Container) error) error {
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(c); err != nil {
				errs[i] = fmt.Errorf("service %s: %w", c.Service, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
