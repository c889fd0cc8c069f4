package env

import (
	"context"
	"errors"
	"fmt"
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
	// Progress receives events; nil discards them.
	Progress Reporter
	// Ports checks host ports; nil probes the local host.
	Ports PortProber
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
	ids, err := ensureImages(ctx, eng, p, selected, opts.Pull, opts.DryRun, rep)
	if err != nil {
		return nil, err
	}
	if opts.DryRun {
		obs, err := eng.Observe(ctx, p.Name)
		if err != nil {
			return nil, err
		}
		return MakePlan(BuildDesired(p, selected, ids), obs), nil
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
	plan := MakePlan(BuildDesired(p, selected, ids), obs)
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

// ensureImages makes sure every selected service's image is present locally,
// pulling per policy, and returns image reference -> image ID.
func ensureImages(ctx context.Context, eng engine.Engine, p *config.Project, selected []string, override string, dry bool, rep Reporter) (map[string]string, error) {
	ids := map[string]string{}
	var errs []error
	for _, name := range selected {
		s := p.Services[name]
		if _, done := ids[s.Image]; done {
			continue
		}
		policy := s.PullPolicy
		if override != "" {
			policy = override
		}
		id, err := ensureImage(ctx, eng, s.Image, policy, dry, rep)
		if err != nil {
			errs = append(errs, fmt.Errorf("service %s: image %s: %w", name, s.Image, err))
			continue
		}
		ids[s.Image] = id
	}
	return ids, errors.Join(errs...)
}

func ensureImage(ctx context.Context, eng engine.Engine, ref, policy string, dry bool, rep Reporter) (string, error) {
	img, err := eng.ImageInspect(ctx, ref)
	present := err == nil
	if err != nil && !errors.Is(err, engine.ErrImageNotFound) {
		return "", err
	}
	needPull := policy == "always" || (!present && policy != "never")
	if !present && policy == "never" {
		return "", fmt.Errorf("not present locally and pull_policy is never: %w", engine.ErrImageNotFound)
	}
	if !needPull || dry {
		return img.ID, nil
	}
	emit(rep, KindImage, ref, StatusPulling, "")
	if err := eng.ImagePull(ctx, ref); err != nil {
		emit(rep, KindImage, ref, StatusFailed, err.Error())
		return "", err
	}
	img, err = eng.ImageInspect(ctx, ref)
	if err != nil {
		return "", err
	}
	emit(rep, KindImage, ref, StatusPulled, short(img.ID))
	return img.ID, nil
}
