package env

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"maps"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// LabelOneOff marks a container of devenv run: up leaves it alone, down
// removes it with the rest of the project.
const LabelOneOff = "dev.devenv.oneoff"

// RunOptions configures Run.
type RunOptions struct {
	Service string
	// Cmd replaces the service's command when not empty; Entrypoint its
	// entrypoint when not nil.
	Cmd        []string
	Entrypoint []string
	Env        []string // KEY=VALUE, added to the service's environment
	User       string   // "" keeps the service's
	WorkingDir string   // "" keeps the service's
	// Name of the container; "" is <project>-<service>-run-<random>.
	Name string
	// NoDeps skips bringing up the service's dependencies first.
	NoDeps bool
	// Detach starts the container and returns without waiting.
	Detach bool
	// Remove removes the container once it has exited (not with Detach).
	Remove bool
	// TTY gives the container a terminal; Stdin, when not nil, is the
	// container's stdin (a terminal or a pipe), closed there when it ends.
	TTY            bool
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Resize         <-chan [2]uint
	// Progress receives the dependencies' and images' events.
	Progress Reporter
}

// Run runs a one-off container with the service's configuration (image,
// environment, volumes, networks), after bringing up its dependencies, and
// returns the container's name and, unless Detach, its exit code.
func Run(ctx context.Context, eng engine.Engine, p *config.Project, opts RunOptions) (name string, exitCode int, err error) {
	if _, err := p.Closure([]string{opts.Service}); err != nil {
		return "", 0, err
	}
	rep := reporterOr(opts.Progress)
	s := p.Services[opts.Service]
	if deps := sortedKeysOf(s.DependsOn); len(deps) > 0 && !opts.NoDeps {
		if _, err := Up(ctx, eng, p, UpOptions{Services: deps, Progress: rep}); err != nil {
			return "", 0, err
		}
	}
	spec, err := oneOffSpec(ctx, eng, p, opts, rep)
	if err != nil {
		return "", 0, err
	}
	id, err := eng.ContainerCreate(ctx, spec)
	if err != nil {
		return "", 0, err
	}
	if opts.Detach {
		return spec.Name, 0, eng.ContainerStart(ctx, id)
	}
	if opts.Remove {
		defer func() {
			if rmErr := eng.ContainerRemove(context.WithoutCancel(ctx), id); rmErr != nil && !errors.Is(rmErr, engine.ErrNotFound) {
				err = errors.Join(err, rmErr)
			}
		}()
	}
	code, err := eng.ContainerRun(ctx, id, engine.ExecOptions{
		TTY: opts.TTY, Stdin: opts.Stdin, Stdout: opts.Stdout, Stderr: opts.Stderr, Resize: opts.Resize,
	})
	return spec.Name, code, err
}

// oneOffSpec is the service's container spec made one-off: its image
// present, its network and volumes created, no published ports, no restart
// policy, and the options' overrides.
func oneOffSpec(ctx context.Context, eng engine.Engine, p *config.Project, opts RunOptions, rep Reporter) (engine.ContainerSpec, error) {
	selected := []string{opts.Service}
	built, pulled, err := ensureBuilds(ctx, eng, p, selected, buildPolicy{}, rep)
	if err != nil {
		return engine.ContainerSpec{}, err
	}
	ids, err := ensureImages(ctx, eng, p, pulled, imagePolicy{}, rep)
	if err != nil {
		return engine.ContainerSpec{}, err
	}
	maps.Copy(ids, built)
	obs, err := eng.Observe(ctx, p.Name)
	if err != nil {
		return engine.ContainerSpec{}, err
	}
	plan := MakePlan(withConfigFiles(BuildDesired(p, selected, ids), p), obs)
	r := &run{eng: eng, plan: plan, rep: rep}
	if err := r.prepareResources(ctx); err != nil {
		return engine.ContainerSpec{}, err
	}
	spec := plan.Steps[0].Desired.Spec
	r.networksByID(&spec)
	applyOneOff(&spec, p.Name, opts)
	return spec, nil
}

// applyOneOff turns a service's spec into a one-off's.
func applyOneOff(spec *engine.ContainerSpec, project string, opts RunOptions) {
	spec.Name = opts.Name
	if spec.Name == "" {
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		spec.Name = ContainerName(project, opts.Service) + "-run-" + hex.EncodeToString(b)
	}
	spec.Labels = maps.Clone(spec.Labels)
	spec.Labels[LabelOneOff] = "true"
	delete(spec.Labels, engine.LabelConfigHash)
	spec.Ports, spec.Restart, spec.Aliases = nil, "no", nil
	if len(opts.Cmd) > 0 {
		spec.Command = opts.Cmd
	}
	if opts.Entrypoint != nil {
		spec.Entrypoint = opts.Entrypoint
	}
	if opts.User != "" {
		spec.User = opts.User
	}
	if opts.WorkingDir != "" {
		spec.WorkingDir = opts.WorkingDir
	}
	spec.Env = append(append([]string(nil), spec.Env...), opts.Env...)
	rt := engine.RuntimeSpec{}
	if spec.Runtime != nil {
		rt = *spec.Runtime
	}
	// Stdin is closed in the container when its stream ends, so that a
	// command reading a pipe sees the end of it.
	rt.TTY, rt.StdinOpen, rt.StdinOnce = opts.TTY, opts.Stdin != nil, opts.Stdin != nil
	spec.Runtime = &rt
}
