package env

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// ErrNotPublished is Port's error for a container port with no host port.
var ErrNotPublished = errors.New("not published")

// PortOptions configures Port.
type PortOptions struct {
	Service string
	Port    uint16 // the container's port
	// Protocol is tcp (the default) or udp.
	Protocol string
}

// Port returns the host address the service's container port is published
// on (of its first container by name, when it has several).
func Port(ctx context.Context, eng engine.Engine, p *config.Project, opts PortOptions) (engine.PublishedPort, error) {
	proto := cmp.Or(opts.Protocol, "tcp")
	if proto != "tcp" && proto != "udp" {
		return engine.PublishedPort{}, fmt.Errorf("protocol %q: use tcp or udp", proto)
	}
	cs, err := containersOf(ctx, eng, p, []string{opts.Service})
	if err != nil {
		return engine.PublishedPort{}, err
	}
	slices.SortFunc(cs, func(a, b engine.Container) int { return cmp.Compare(a.Name, b.Name) })
	for _, pp := range cs[0].Ports {
		if pp.ContainerPort == opts.Port && pp.Protocol == proto {
			return pp, nil
		}
	}
	return engine.PublishedPort{}, fmt.Errorf("service %s: port %d/%s: %w (is the container running, and is the port under ports:?)",
		opts.Service, opts.Port, proto, ErrNotPublished)
}

// ContainerProcesses are the processes of one container.
type ContainerProcesses struct {
	Service   string
	Container string
	engine.Processes
}

// Top lists the processes of the services' running containers (all
// services when none is named), ordered by container name.
func Top(ctx context.Context, eng engine.Engine, p *config.Project, services []string) ([]ContainerProcesses, error) {
	cs, err := containersOf(ctx, eng, p, services)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(cs, func(a, b engine.Container) int { return cmp.Compare(a.Name, b.Name) })
	var out []ContainerProcesses
	for _, c := range cs {
		if c.State != "running" && c.State != "paused" {
			continue
		}
		ps, err := eng.ContainerTop(ctx, c.ID)
		if errors.Is(err, engine.ErrConflict) || errors.Is(err, engine.ErrNotFound) {
			continue // stopped or removed since it was listed
		}
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", c.Service, err)
		}
		out = append(out, ContainerProcesses{Service: c.Service, Container: c.Name, Processes: ps})
	}
	return out, nil
}
