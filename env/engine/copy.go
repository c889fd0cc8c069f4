package engine

import (
	"context"
	"fmt"
	"io"

	"github.com/docker/docker/api/types/container"
)

// CopyToContainer extracts tar into the container's filesystem at dir.
// The container need not be running.
func (d *Docker) CopyToContainer(ctx context.Context, id, dir string, tar io.Reader) error {
	err := d.cli.CopyToContainer(ctx, id, dir, tar, container.CopyToContainerOptions{})
	if err != nil {
		return fmt.Errorf("copying files into container %s at %s: %w", id, dir, d.mapErr(err, ErrNotFound))
	}
	return nil
}
