package env

import (
	"context"
	"fmt"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// ContainerStatus is Ps for one container of the project, for a caller that
// follows the project's events and re-reads only the container an event
// names. When the container is gone, the error matches engine.ErrNotFound.
func ContainerStatus(ctx context.Context, eng engine.Engine, p *config.Project, id string) (ServiceStatus, error) {
	c, err := eng.ContainerInspect(ctx, id)
	if err != nil {
		return ServiceStatus{}, err
	}
	if c.Project != p.Name {
		return ServiceStatus{}, fmt.Errorf("container %s is not of project %s: %w", short(id), p.Name, engine.ErrNotFound)
	}
	st := statusOf(c, p)
	settleStarting(ctx, eng, p, &st, c.ID)
	return st, nil
}
