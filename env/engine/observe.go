package engine

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
)

// Observe lists the project's containers, networks and volumes with three
// concurrent list calls. Containers come from the list endpoint, which does
// not inspect them: Health is parsed from the status text, ExitCode too when
// the container has exited, and StartedAt, FinishedAt and HealthLog are zero
// (ContainerInspect fills them).
func (d *Docker) Observe(ctx context.Context, project string) (*Observed, error) {
	byProject := filters.NewArgs(filters.Arg("label", LabelProject+"="+project))
	var (
		obs              Observed
		cErr, nErr, vErr error
		wg               sync.WaitGroup
	)
	wg.Go(func() {
		obs.Containers, cErr = d.listContainers(ctx, container.ListOptions{All: true, Filters: byProject})
	})
	wg.Go(func() { obs.Networks, nErr = d.listNetworks(ctx, byProject) })
	wg.Go(func() { obs.Volumes, vErr = d.listVolumes(ctx, byProject) })
	wg.Wait()
	for _, err := range []error{cErr, nErr, vErr} {
		if err != nil {
			return nil, fmt.Errorf("observing project %s: %w", project, err)
		}
	}
	return &obs, nil
}

// AllContainers lists every container of the engine, running or not, mapped
// as in Observe.
func (d *Docker) AllContainers(ctx context.Context) ([]Container, error) {
	cs, err := d.listContainers(ctx, container.ListOptions{All: true})
	if err != nil {
		return nil, fmt.Errorf("listing all containers: %w", err)
	}
	return cs, nil
}

func (d *Docker) listContainers(ctx context.Context, opts container.ListOptions) ([]Container, error) {
	list, err := d.cli.ContainerList(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("listing containers: %w", d.mapErr(err, ErrNotFound))
	}
	cs := make([]Container, 0, len(list))
	for _, s := range list {
		cs = append(cs, fromSummary(s))
	}
	return cs, nil
}

func (d *Docker) listNetworks(ctx context.Context, f filters.Args) ([]Network, error) {
	list, err := d.cli.NetworkList(ctx, network.ListOptions{Filters: f})
	if err != nil {
		return nil, fmt.Errorf("listing networks: %w", d.mapErr(err, ErrNotFound))
	}
	ns := make([]Network, 0, len(list))
	for _, n := range list {
		ns = append(ns, Network{ID: n.ID, Name: n.Name, Labels: n.Labels})
	}
	return ns, nil
}

func (d *Docker) listVolumes(ctx context.Context, f filters.Args) ([]Volume, error) {
	resp, err := d.cli.VolumeList(ctx, volume.ListOptions{Filters: f})
	if err != nil {
		return nil, fmt.Errorf("listing volumes: %w", d.mapErr(err, ErrNotFound))
	}
	vs := make([]Volume, 0, len(resp.Volumes))
	for _, v := range resp.Volumes {
		if v != nil {
			vs = append(vs, Volume{Name: v.Name, Labels: v.Labels})
		}
	}
	return vs, nil
}

// fromSummary maps a container of the list endpoint.
func fromSummary(s container.Summary) Container {
	c := Container{
		ID:         s.ID,
		Name:       summaryName(s.Names),
		Project:    s.Labels[LabelProject],
		Service:    s.Labels[LabelService],
		ConfigHash: s.Labels[LabelConfigHash],
		ImageID:    s.ImageID,
		State:      s.State,
		Health:     healthFromStatus(s.Status),
		Labels:     s.Labels,
	}
	if c.State == "exited" || c.State == "dead" {
		c.ExitCode = exitCodeFromStatus(s.Status)
	}
	for _, p := range s.Ports {
		if p.PublicPort == 0 {
			continue // exposed, not published
		}
		c.Ports = append(c.Ports, PublishedPort{
			HostIP:        p.IP,
			HostPort:      p.PublicPort,
			ContainerPort: p.PrivatePort,
			Protocol:      p.Type,
		})
	}
	return c
}

// summaryName picks the container's own name among its names; the others
// are legacy link names such as /web/db.
func summaryName(names []string) string {
	for _, n := range names {
		n = strings.TrimPrefix(n, "/")
		if !strings.Contains(n, "/") {
			return n
		}
	}
	if len(names) > 0 {
		return strings.TrimPrefix(names[0], "/")
	}
	return ""
}

// healthFromStatus reads the health from a list status such as
// "Up 3 seconds (health: starting)"; the list endpoint carries it nowhere else.
func healthFromStatus(status string) string {
	switch {
	case strings.HasSuffix(status, "(healthy)"):
		return "healthy"
	case strings.HasSuffix(status, "(unhealthy)"):
		return "unhealthy"
	case strings.HasSuffix(status, "(health: starting)"):
		return "starting"
	}
	return ""
}

var exitedStatus = regexp.MustCompile(`^Exited \((-?\d+)\)`)

// exitCodeFromStatus reads the code from a status such as
// "Exited (137) 5 seconds ago"; 0 when there is none.
func exitCodeFromStatus(status string) int {
	m := exitedStatus.FindStringSubmatch(status)
	if m == nil {
		return 0
	}
	code, _ := strconv.Atoi(m[1])
	return code
}
