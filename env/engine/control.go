package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/docker/docker/api/types/container"
)

// ContainerPause freezes a running container's processes; pausing one that
// is not running gives ErrConflict.
func (d *Docker) ContainerPause(ctx context.Context, id string) error {
	if err := d.cli.ContainerPause(ctx, id); err != nil {
		return fmt.Errorf("pausing container %s: %w", id, d.mapErr(err, ErrNotFound))
	}
	return nil
}

// ContainerUnpause resumes a paused container; one that is not paused gives
// ErrConflict.
func (d *Docker) ContainerUnpause(ctx context.Context, id string) error {
	err := d.cli.ContainerUnpause(ctx, id)
	if err != nil && strings.Contains(err.Error(), "is not paused") { // the engine says so with a 500
		return fmt.Errorf("unpausing container %s: %w: %w", id, ErrConflict, err)
	}
	if err != nil {
		return fmt.Errorf("unpausing container %s: %w", id, d.mapErr(err, ErrNotFound))
	}
	return nil
}

// ContainerKill sends signal (a name such as SIGKILL or KILL, or a number;
// "" is SIGKILL) to a running container's main process; a container that
// is not running gives ErrConflict.
func (d *Docker) ContainerKill(ctx context.Context, id, signal string) error {
	if err := d.cli.ContainerKill(ctx, id, signal); err != nil {
		return fmt.Errorf("killing container %s: %w", id, d.mapErr(err, ErrNotFound))
	}
	return nil
}

// ContainerDelete removes a container that is not running, with its
// anonymous volumes only when volumes is set; a running container gives
// ErrConflict.
func (d *Docker) ContainerDelete(ctx context.Context, id string, volumes bool) error {
	err := d.cli.ContainerRemove(ctx, id, container.RemoveOptions{RemoveVolumes: volumes})
	if err != nil {
		return fmt.Errorf("removing container %s: %w", id, d.mapErr(err, ErrNotFound))
	}
	return nil
}

// Processes is what ContainerTop lists: ps's column titles and one row per
// process.
type Processes struct {
	Titles []string
	Rows   [][]string
}

// ContainerTop lists the processes of a running container (ps -ef's
// columns); one that is not running gives ErrConflict.
func (d *Docker) ContainerTop(ctx context.Context, id string) (Processes, error) {
	resp, err := d.cli.ContainerTop(ctx, id, nil)
	if err != nil {
		return Processes{}, fmt.Errorf("listing processes of container %s: %w", id, d.mapErr(err, ErrNotFound))
	}
	return Processes{Titles: resp.Titles, Rows: resp.Processes}, nil
}
