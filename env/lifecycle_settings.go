package env

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/docker/docker/api/types/versions"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// graceFor is how long container c gets to stop: the timeout asked for, else
// its stop_grace_period, else 10 s.
func graceFor(c engine.Container, asked time.Duration) time.Duration {
	if asked != 0 {
		return asked
	}
	if d, err := time.ParseDuration(c.Labels[LabelStopGracePeriod]); err == nil {
		return d
	}
	return stopTimeout
}

// restartDependants restarts, after the named services, the services that
// declare depends_on NAME: {restart: true} on one of them, level by level,
// as far as they have containers.
func restartDependants(ctx context.Context, eng engine.Engine, p *config.Project, opts LifecycleOptions, fn func(engine.Container, Reporter) error) error {
	if len(opts.Services) == 0 {
		return nil // every service was restarted
	}
	done := map[string]bool{}
	for _, s := range opts.Services {
		done[s] = true
	}
	for level := opts.Services; ; {
		var next []string
		for _, name := range sortedNames(p.Services) {
			for _, dep := range level {
				if d, ok := p.Services[name].DependsOn[dep]; ok && d.Restart && !done[name] {
					done[name] = true
					next = append(next, name)
				}
			}
		}
		if len(next) == 0 {
			return nil
		}
		if err := restartExisting(ctx, eng, p, opts, next, fn); err != nil {
			return err
		}
		level = next
	}
}

// restartExisting runs fn on those of services that have a container.
func restartExisting(ctx context.Context, eng engine.Engine, p *config.Project, opts LifecycleOptions, services []string, fn func(engine.Container, Reporter) error) error {
	obs, err := eng.Observe(ctx, p.Name)
	if err != nil {
		return err
	}
	opts.Services = nil
	for _, c := range obs.Containers {
		if slices.Contains(services, c.Service) {
			opts.Services = append(opts.Services, c.Service)
		}
	}
	if len(opts.Services) == 0 {
		return nil
	}
	return eachContainer(ctx, eng, p, opts, fn)
}

// EngineNotes says which of the selected services' settings the engine,
// speaking apiVersion, cannot apply: healthcheck start_interval before API
// 1.44, annotations before 1.43. The caller shows them once.
func EngineNotes(p *config.Project, selected []string, apiVersion string) []string {
	older := func(v string) bool { return apiVersion != "" && versions.LessThan(apiVersion, v) }
	var notes []string
	for _, name := range selected {
		s := p.Services[name]
		if s == nil {
			continue
		}
		if s.Healthcheck != nil && s.Healthcheck.StartInterval > 0 && older(engine.StartIntervalAPI) {
			notes = append(notes, fmt.Sprintf("service %s healthcheck start_interval needs Docker Engine API %s or later (this engine speaks %s); its checks run every interval instead",
				name, engine.StartIntervalAPI, apiVersion))
		}
		if len(s.Annotations) > 0 && older(engine.AnnotationsAPI) {
			notes = append(notes, fmt.Sprintf("service %s annotations need Docker Engine API %s or later (this engine speaks %s); they are left out",
				name, engine.AnnotationsAPI, apiVersion))
		}
	}
	return notes
}
