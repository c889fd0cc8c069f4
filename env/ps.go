package env

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// StateNotCreated is the State of a configured service that has no container.
const StateNotCreated = "not created"

// ServiceStatus is one row of `devenv ps`.
type ServiceStatus struct {
	Service   string                 `json:"service"`
	Container string                 `json:"container,omitempty"`
	ID        string                 `json:"id,omitempty"`
	State     string                 `json:"state"`
	Health    string                 `json:"health,omitempty"`
	ExitCode  int                    `json:"exit_code"`
	Image     string                 `json:"image"`
	ImageID   string                 `json:"image_id,omitempty"`
	Ports     []engine.PublishedPort `json:"ports,omitempty"`
	StartedAt time.Time              `json:"started_at,omitzero"`
	HealthLog string                 `json:"health_log,omitempty"` // output of the latest health probe
	// HealthBy is HealthByProbe when Health is devenv's own run of the
	// declared health test (the engine still said "starting"); "" when
	// Health is the engine's verdict.
	HealthBy string `json:"health_by,omitempty"`
	Orphan   bool   `json:"orphan,omitempty"` // not in the configuration any more
}

// Ps lists every service of p and every container of the project, with
// state, health, ports, image and start time. Rows are sorted by service.
func Ps(ctx context.Context, eng engine.Engine, p *config.Project) ([]ServiceStatus, error) {
	obs, err := eng.Observe(ctx, p.Name)
	if err != nil {
		return nil, err
	}
	rows := make([]ServiceStatus, len(obs.Containers))
	var wg sync.WaitGroup
	for i, c := range obs.Containers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if full, err := eng.ContainerInspect(ctx, c.ID); err == nil {
				c = full
			}
			rows[i] = statusOf(c, p)
			settleStarting(ctx, eng, p, &rows[i], c.ID)
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.Service] = true
	}
	for name, s := range p.Services {
		if !seen[name] && p.Active(name) { // a disabled profile's service is not expected to run
			rows = append(rows, ServiceStatus{Service: name, State: StateNotCreated, Image: s.Image})
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Service != rows[j].Service {
			return rows[i].Service < rows[j].Service
		}
		return rows[i].Container < rows[j].Container
	})
	return rows, ctx.Err()
}

func statusOf(c engine.Container, p *config.Project) ServiceStatus {
	st := ServiceStatus{
		Service: c.Service, Container: c.Name, ID: short(c.ID), State: c.State, Health: c.Health,
		ExitCode: c.ExitCode, ImageID: short(c.ImageID), Ports: c.Ports, StartedAt: c.StartedAt,
		HealthLog: c.HealthLog,
	}
	if s, ok := p.Services[c.Service]; ok {
		st.Image = s.Image
	} else {
		st.Orphan = true
	}
	return st
}
