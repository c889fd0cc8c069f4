package env

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// LifecycleOptions configures Stop, Start and Restart.
type LifecycleOptions struct {
	// Services to act on; empty means every service with a container.
	Services []string
	// Timeout is how long a container gets to stop; 0 means 10 s.
	Timeout time.Duration
	// Progress receives events; nil discards them.
	Progress Reporter
}

// Stop stops the services' containers, keeping them.
func Stop(ctx context.Context, eng engine.Engine, p *config.Project, opts LifecycleOptions) error {
	return eachContainer(ctx, eng, p, opts, func(c engine.Container, rep Reporter) error {
		emit(rep, KindService, c.Service, StatusStopping, "")
		if err := eng.ContainerStop(ctx, c.ID, graceFor(c, opts.Timeout)); err != nil {
			return err
		}
		emit(rep, KindService, c.Service, StatusStopped, "")
		return nil
	})
}

// Start starts the services' existing containers.
func Start(ctx context.Context, eng engine.Engine, p *config.Project, opts LifecycleOptions) error {
	return eachContainer(ctx, eng, p, opts, func(c engine.Container, rep Reporter) error {
		emit(rep, KindService, c.Service, StatusStarting, "")
		if err := eng.ContainerStart(ctx, c.ID); err != nil {
			return err
		}
		emit(rep, KindService, c.Service, StatusStarted, "")
		return nil
	})
}

// Restart stops and starts the services' containers.
func Restart(ctx context.Context, eng engine.Engine, p *config.Project, opts LifecycleOptions) error {
	restart := func(c engine.Container, rep Reporter) error {
		emit(rep, KindService, c.Service, StatusStopping, "")
		if err := eng.ContainerStop(ctx, c.ID, graceFor(c, opts.Timeout)); err != nil {
			return err
		}
		emit(rep, KindService, c.Service, StatusStarting, "")
		if err := eng.ContainerStart(ctx, c.ID); err != nil {
			return err
		}
		emit(rep, KindService, c.Service, StatusStarted, "")
		return nil
	}
	if err := eachContainer(ctx, eng, p, opts, restart); err != nil {
		return err
	}
	return restartDependants(ctx, eng, p, opts, restart)
}

// eachContainer runs fn on the named services' containers in parallel. A named
// service without a container is an error that names it.
func eachContainer(ctx context.Context, eng engine.Engine, p *config.Project, opts LifecycleOptions, fn func(engine.Container, Reporter) error) error {
	targets, err := containersOf(ctx, eng, p, opts.Services)
	if err != nil {
		return err
	}
	rep := reporterOr(opts.Progress)
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, c := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(c, rep); err != nil {
				errs[i] = fmt.Errorf("service %s: %w", c.Service, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// containersOf returns the containers of the named services (all when none).
func containersOf(ctx context.Context, eng engine.Engine, p *config.Project, services []string) ([]engine.Container, error) {
	if _, err := p.Closure(services); err != nil { // names unknown services, with a suggestion
		return nil, err
	}
	obs, err := eng.Observe(ctx, p.Name)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, s := range services {
		want[s] = true
	}
	var out []engine.Container
	found := map[string]bool{}
	for _, c := range obs.Containers {
		if len(want) == 0 || want[c.Service] {
			out = append(out, c)
			found[c.Service] = true
		}
	}
	var missing []string
	for s := range want {
		if !found[s] {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		noun := "service " + missing[0]
		if len(missing) > 1 {
			noun = "services " + strings.Join(missing, ", ")
		}
		return nil, fmt.Errorf("%s: %w; run devenv up first", noun, ErrNoContainer)
	}
	return out, nil
}
