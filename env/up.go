package env

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// UpOptions configures Up.
type UpOptions struct {
	// Environment names the environment to bring up; "" means "default".
	Environment string
	// Services, when not empty, brings up these services (and their
	// dependencies) instead of an environment.
	Services []string
	// DryRun computes and returns the plan without changing anything.
	DryRun bool
	// Timeout bounds the whole run; 0 means no limit.
	Timeout time.Duration
	// NoWait returns once every container is started, without waiting for
	// health checks of services nothing else depends on.
	NoWait bool
	// Pull overrides every service's pull_policy: "", missing, always, never.
	Pull string
	// Build rebuilds every selected service with build:, up to date or not.
	Build bool
	// Progress receives events; nil discards them.
	Progress Reporter
	// Ports checks host ports; nil probes the local host.
	Ports PortProber
	// Puller fetches the images that must be pulled, all at once; nil pulls
	// them one by one through the engine.
	Puller Puller
	// Pins maps an image reference to the digest-pinned reference to run
	// instead (from envs.lock).
	Pins map[string]string
}

// Up converges the selected services of p on eng and waits for them to be
// ready. It returns the plan it applied. When services fail, the error is an
// *UpError naming the culprits; the services that did come up keep running.
func Up(ctx context.Context, eng engine.Engine, p *config.Project, opts UpOptions) (*Plan, error) {
	rep := reporterOr(opts.Progress)
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, opts.Timeout, fmt.Errorf("timed out after %s", opts.Timeout))
		defer cancel()
	}
	selected, err := Select(p, opts.Environment, opts.Services)
	if err != nil {
		return nil, err
	}
	if err := eng.Ping(ctx); err != nil {
		return nil, err
	}
	built, pulled, err := ensureBuilds(ctx, eng, p, selected, buildPolicy{force: opts.Build, dry: opts.DryRun}, rep)
	if err != nil {
		return nil, err
	}
	ids, err := ensureImages(ctx, eng, p, pulled, imagePolicy{
		override: opts.Pull, dry: opts.DryRun, pins: opts.Pins, puller: opts.Puller,
	}, rep)
	if err != nil {
		return nil, err
	}
	maps.Copy(ids, built)
	if opts.DryRun {
		obs, err := eng.Observe(ctx, p.Name)
		if err != nil {
			return nil, err
		}
		return MakePlan(withConfigFiles(BuildDesired(p, selected, ids), p), obs), nil
	}
	// Subscribe before observing, so that no change after the observation
	// (a kept one-shot exiting, say) goes unseen.
	evctx, stopEvents := context.WithCancel(ctx)
	defer stopEvents()
	events, evErr := eng.Events(evctx, p.Name)
	obs, err := eng.Observe(ctx, p.Name)
	if err != nil {
		return nil, err
	}
	plan := MakePlan(withConfigFiles(BuildDesired(p, selected, ids), p), obs)
	plan.pins = opts.Pins
	probe := opts.Ports
	if probe == nil {
		probe = localPorts{}
	}
	if err := checkPorts(ctx, eng, plan, probe); err != nil {
		return plan, err
	}
	return plan, apply(ctx, eng, plan, !opts.NoWait, rep, stream{evctx, events, evErr})
}

// Select resolves which services a command acts on: the named services and
// their dependencies, or else the environment's.
func Select(p *config.Project, environment string, services []string) ([]string, error) {
	if len(services) > 0 {
		return p.Closure(services)
	}
	return p.Resolve(environment)
}
