package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/versions"
	"github.com/docker/go-connections/nat"
)

// ContainerCreate creates (does not start) the container spec describes,
// attached to spec.Network only, reachable there under spec.Aliases. A name
// already taken gives ErrConflict; an image not present locally gives
// ErrImageNotFound.
func (d *Docker) ContainerCreate(ctx context.Context, spec ContainerSpec) (string, error) {
	cfg, host, netCfg, err := createConfig(spec)
	if err != nil {
		return "", fmt.Errorf("creating container %s: %w", spec.Name, err)
	}
	if cfg.Healthcheck != nil && versions.LessThan(d.APIVersion(), StartIntervalAPI) {
		cfg.Healthcheck.StartInterval = 0 // the engine would refuse the container
	}
	if versions.LessThan(d.APIVersion(), AnnotationsAPI) {
		host.Annotations = nil
	}
	resp, err := d.cli.ContainerCreate(ctx, cfg, host, netCfg, platformOf(spec.Runtime), spec.Name)
	if err != nil {
		return "", fmt.Errorf("creating container %s: %w", spec.Name, d.mapErr(err, ErrImageNotFound))
	}
	return resp.ID, nil
}

// createConfig translates spec into the engine's three create documents.
func createConfig(spec ContainerSpec) (*container.Config, *container.HostConfig, *network.NetworkingConfig, error) {
	exposed, bindings, err := portConfig(spec.Ports)
	if err != nil {
		return nil, nil, nil, err
	}
	mounts, err := mountConfig(spec.Mounts)
	if err != nil {
		return nil, nil, nil, err
	}
	restart, err := parseRestart(spec.Restart)
	if err != nil {
		return nil, nil, nil, err
	}
	cfg := &container.Config{
		Image:        spec.Image,
		Cmd:          spec.Command,
		Entrypoint:   entrypoint(spec.Entrypoint),
		Env:          spec.Env,
		WorkingDir:   spec.WorkingDir,
		User:         spec.User,
		Hostname:     spec.Hostname,
		Labels:       spec.Labels,
		ExposedPorts: exposed,
		Healthcheck:  healthConfig(spec.Healthcheck),
	}
	host := &container.HostConfig{
		PortBindings:  bindings,
		Mounts:        mounts,
		RestartPolicy: restart,
		ExtraHosts:    spec.ExtraHosts,
	}
	if err := applyRuntime(cfg, host, spec.Runtime); err != nil {
		return nil, nil, nil, err
	}
	var netCfg *network.NetworkingConfig
	if spec.Network != "" {
		host.NetworkMode = container.NetworkMode(spec.Network)
		netCfg = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
			spec.Network: {Aliases: spec.Aliases},
		}}
	}
	return cfg, host, netCfg, nil
}

// portConfig maps published ports; a HostPort of 0 lets the engine choose.
func portConfig(ports []PublishedPort) (nat.PortSet, nat.PortMap, error) {
	if len(ports) == 0 {
		return nil, nil, nil
	}
	exposed := nat.PortSet{}
	bindings := nat.PortMap{}
	for _, p := range ports {
		proto := p.Protocol
		if proto == "" {
			proto = "tcp"
		}
		port, err := nat.NewPort(proto, strconv.Itoa(int(p.ContainerPort)))
		if err != nil {
			return nil, nil, fmt.Errorf("port %d/%s: %w", p.ContainerPort, proto, err)
		}
		exposed[port] = struct{}{}
		b := nat.PortBinding{HostIP: p.HostIP}
		if p.HostPort != 0 {
			b.HostPort = strconv.Itoa(int(p.HostPort))
		}
		bindings[port] = append(bindings[port], b)
	}
	return exposed, bindings, nil
}

func mountConfig(specs []MountSpec) ([]mount.Mount, error) {
	var mounts []mount.Mount
	for _, m := range specs {
		var typ mount.Type
		switch m.Type {
		case "volume":
			typ = mount.TypeVolume
		case "bind":
			typ = mount.TypeBind
		default:
			return nil, fmt.Errorf("mount at %s: unknown type %q (want volume or bind)", m.Target, m.Type)
		}
		mounts = append(mounts, mount.Mount{Type: typ, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly})
	}
	return mounts, nil
}

// parseRestart parses no, always, unless-stopped and on-failure[:N]; empty
// means no.
func parseRestart(s string) (container.RestartPolicy, error) {
	name, count, hasCount := strings.Cut(s, ":")
	switch name {
	case "", "no", "always", "unless-stopped":
		if hasCount {
			return container.RestartPolicy{}, fmt.Errorf("restart %q: only on-failure takes a count", s)
		}
		if name == "" {
			name = "no"
		}
		return container.RestartPolicy{Name: container.RestartPolicyMode(name)}, nil
	case "on-failure":
		p := container.RestartPolicy{Name: container.RestartPolicyOnFailure}
		if hasCount {
			n, err := strconv.Atoi(count)
			if err != nil || n < 0 {
				return container.RestartPolicy{}, fmt.Errorf("restart %q: count must be a number ≥ 0", s)
			}
			p.MaximumRetryCount = n
		}
		return p, nil
	}
	return container.RestartPolicy{}, fmt.Errorf("restart %q: want no, always, on-failure[:N] or unless-stopped", s)
}

func healthConfig(h *HealthSpec) *container.HealthConfig {
	if h == nil {
		return nil
	}
	return &container.HealthConfig{
		Test:        h.Test,
		Interval:    h.Interval,
		Timeout:     h.Timeout,
		StartPeriod: h.StartPeriod,
		Retries:     h.Retries,

		StartInterval: h.StartInterval,
	}
}
