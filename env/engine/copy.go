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

// CopyFromContainer returns a tar archive of path in the container, whose
// entries start with path's base name. The container need not run.
func (d *Docker) CopyFromContainer(ctx context.Context, id, path string) (io.ReadCloser, error) {
	rc, _, err := d.cli.CopyFromContainer(ctx, id, path)
	if err != nil {
		return nil, fmt.Errorf("copying %s from container %s: %w", path, id, d.mapErr(err, ErrNotFound))
	}
	return rc, nil
}

// ContainerStatPath says whether path is a directory in the container;
// ErrNotFound when there is no such path (or container).
func (d *Docker) ContainerStatPath(ctx context.Context, id, path string) (isDir bool, err error) {
	st, err := d.cli.ContainerStatPath(ctx, id, path)
	if err != nil {
		return false, fmt.Errorf("looking up %s in container %s: %w", path, id, d.mapErr(err, ErrNotFound))
	}
	return st.Mode.IsDir(), nil
}

// ContainerLinkTarget is where path leads in the container once its
// symbolic links are followed (path itself when it is no link).
func (d *Docker) ContainerLinkTarget(ctx context.Context, id, path string) (string, error) {
	st, err := d.cli.ContainerStatPath(ctx, id, path)
	if err != nil {
		return "", fmt.Errorf("looking up %s in container %s: %w", path, id, d.mapErr(err, ErrNotFound))
	}
	if st.LinkTarget == "" {
		return path, nil
	}
	return st.LinkTarget, nil
}
