package engine

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"
)

// ContainerStart starts a created or stopped container. A host port already
// taken by another process or container gives ErrConflict.
func (d *Docker) ContainerStart(ctx context.Context, id string) error {
	err := d.cli.ContainerStart(ctx, id, container.StartOptions{})
	if isPortInUse(err) {
		return fmt.Errorf("starting container %s: %w: %w", id, ErrConflict, err)
	}
	if err != nil {
		return fmt.Errorf("starting container %s: %w", id, d.mapErr(err, ErrNotFound))
	}
	return nil
}

// ContainerStop stops a container, killing it when it has not exited after
// timeout (rounded up to whole seconds; 0 kills at once).
func (d *Docker) ContainerStop(ctx context.Context, id string, timeout time.Duration) error {
	secs := int((timeout + time.Second - 1) / time.Second)
	if secs < 0 {
		secs = 0
	}
	err := d.cli.ContainerStop(ctx, id, container.StopOptions{Timeout: &secs})
	if err != nil {
		return fmt.Errorf("stopping container %s: %w", id, d.mapErr(err, ErrNotFound))
	}
	return nil
}

// ContainerRemove removes a container, killing it if it runs, with its
// anonymous volumes. Named volumes stay.
func (d *Docker) ContainerRemove(ctx context.Context, id string) error {
	err := d.cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil {
		return fmt.Errorf("removing container %s: %w", id, d.mapErr(err, ErrNotFound))
	}
	return nil
}

// ContainerInspect reads a container in full: unlike Observe, StartedAt,
// FinishedAt, ExitCode, Health and HealthLog (the output of the latest probe)
// are filled in.
func (d *Docker) ContainerInspect(ctx context.Context, id string) (Container, error) {
	resp, err := d.cli.ContainerInspect(ctx, id)
	if err != nil {
		return Container{}, fmt.Errorf("inspecting container %s: %w", id, d.mapErr(err, ErrNotFound))
	}
	return fromInspect(resp), nil
}

// fromInspect maps a container of the inspect endpoint.
func fromInspect(r container.InspectResponse) Container {
	c := Container{}
	if r.ContainerJSONBase != nil {
		c.ID = r.ID
		c.Name = strings.TrimPrefix(r.Name, "/")
		c.ImageID = r.Image
		if s := r.State; s != nil {
			c.State = s.Status
			c.ExitCode = s.ExitCode
			c.StartedAt = parseEngineTime(s.StartedAt)
			c.FinishedAt = parseEngineTime(s.FinishedAt)
			if h := s.Health; h != nil {
				c.Health = h.Status
				// The engine keeps the probes of earlier runs across a
				// restart; only one of this run says why it is not ready.
				if n := len(h.Log); n > 0 && h.Log[n-1] != nil && !h.Log[n-1].Start.Before(c.StartedAt) {
					c.HealthLog = h.Log[n-1].Output
				}
			}
		}
	}
	if r.Config != nil {
		c.Labels = r.Config.Labels
		c.Project = c.Labels[LabelProject]
		c.Service = c.Labels[LabelService]
		c.ConfigHash = c.Labels[LabelConfigHash]
	}
	if r.NetworkSettings != nil {
		c.Ports = portsFromMap(r.NetworkSettings.Ports)
	}
	// The engine keeps the last status of a stopped container's check (20.10
	// says unhealthy); its list, like the fake, says none: only a running
	// container has a health.
	if c.Health == "none" || c.State != "running" {
		c.Health = ""
	}
	return c
}

// parseEngineTime parses the engine's timestamps; the engine writes
// 0001-01-01T00:00:00Z for "never", which is the zero time.
func parseEngineTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.IsZero() {
		return time.Time{}
	}
	return t
}

// portsFromMap lists the bindings of a port map in a stable order.
func portsFromMap(m nat.PortMap) []PublishedPort {
	var ports []PublishedPort
	for port, bindings := range m {
		for _, b := range bindings {
			hp, err := strconv.ParseUint(b.HostPort, 10, 16)
			if err != nil {
				continue
			}
			ports = append(ports, PublishedPort{
				HostIP:        b.HostIP,
				HostPort:      uint16(hp),
				ContainerPort: uint16(port.Int()),
				Protocol:      port.Proto(),
			})
		}
	}
	sort.Slice(ports, func(i, j int) bool {
		a, b := ports[i], ports[j]
		if a.ContainerPort != b.ContainerPort {
			return a.ContainerPort < b.ContainerPort
		}
		if a.Protocol != b.Protocol {
			return a.Protocol < b.Protocol
		}
		return a.HostIP < b.HostIP
	})
	return ports
}
