package env

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/devenv-dev/devenv/env/engine"
)

// DownOptions configures Down.
type DownOptions struct {
	// Volumes also removes the project's named volumes.
	Volumes bool
	// Timeout is how long each container gets to stop; 0 means 10 s.
	Timeout time.Duration
	// Progress receives events; nil discards them.
	Progress Reporter
}

// Down stops and removes every container and the network of project, and
// its volumes when asked. Objects already gone count as removed. Down works
// from labels alone, so it needs no configuration file.
func Down(ctx context.Context, eng engine.Engine, project string, opts DownOptions) error {
	rep := reporterOr(opts.Progress)
	timeout := opts.Timeout // 0: each container's stop_grace_period, else 10 s
	if err := eng.Ping(ctx); err != nil {
		return err
	}
	obs, err := eng.Observe(ctx, project)
	if err != nil {
		return err
	}
	if err := removeInOrder(ctx, eng, obs.Containers, timeout, rep); err != nil {
		return err
	}
	for _, n := range obs.Networks {
		if err := eng.NetworkRemove(ctx, n.ID); err != nil && !errors.Is(err, engine.ErrNotFound) {
			return fmt.Errorf("removing network %s: %w", n.Name, err)
		}
		emit(rep, KindNetwork, n.Name, StatusRemoved, "")
	}
	if !opts.Volumes {
		return nil
	}
	for _, v := range obs.Volumes {
		if err := eng.VolumeRemove(ctx, v.Name); err != nil && !errors.Is(err, engine.ErrNotFound) {
			return fmt.Errorf("removing volume %s: %w", v.Name, err)
		}
		emit(rep, KindVolume, v.Name, StatusRemoved, "")
	}
	return nil
}

func removeService(ctx context.Context, eng engine.Engine, c engine.Container, timeout time.Duration, rep Reporter) error {
	if c.State == "running" || c.State == "restarting" || c.State == "paused" {
		emit(rep, KindService, c.Service, StatusStopping, c.Name)
		if err := eng.ContainerStop(ctx, c.ID, graceFor(c, timeout)); err != nil && !errors.Is(err, engine.ErrNotFound) {
			return fmt.Errorf("stopping %s: %w", c.Name, err)
		}
	}
	emit(rep, KindService, c.Service, StatusRemoving, c.Name)
	if err := eng.ContainerRemove(ctx, c.ID); err != nil && !errors.Is(err, engine.ErrNotFound) {
		return fmt.Errorf("removing %s: %w", c.Name, err)
	}
	emit(rep, KindService, c.Service, StatusRemoved, c.Name)
	return nil
}

// removeInOrder stops and removes containers, dependants before their
// dependencies (from the depends-on label); the rest in parallel.
func removeInOrder(ctx context.Context, eng engine.Engine, cs []engine.Container, timeout time.Duration, rep Reporter) error {
	gone := map[string]*signal{}
	for _, c := range cs {
		gone[c.Service] = newSignal()
	}
	dependants := map[string][]string{}
	for _, c := range cs {
		for _, d := range strings.Split(c.Labels[engine.LabelDependsOn], ",") {
			if d != "" && d != c.Service {
				dependants[d] = append(dependants[d], c.Service)
			}
		}
	}
	var longest time.Duration
	for _, c := range cs {
		longest = max(longest, graceFor(c, timeout))
	}
	var wg sync.WaitGroup
	errs := make([]error, len(cs))
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer gone[c.Service].fire()
			// Bounded, so labels from a stale configuration can never deadlock.
			limit := time.After(longest + 5*time.Second)
			for _, d := range dependants[c.Service] {
				select {
				case <-gone[d].ch:
				case <-limit:
				case <-ctx.Done():
				}
			}
			errs[i] = removeService(ctx, eng, c, timeout, rep)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
