package env

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// CopyOptions configures Copy: one path on the host, one in a service's
// container, and the direction.
type CopyOptions struct {
	Service       string
	ContainerPath string // absolute, or relative to /
	HostPath      string
	// ToContainer copies HostPath into the container; otherwise
	// ContainerPath is copied to the host.
	ToContainer bool
}

// Copy copies a file or directory between the host and the service's
// container (the first by name), running or not, as docker cp does: onto an
// existing directory the source goes inside it under its own name, else it
// takes the destination's name. Modes are kept; links are copied as links.
func Copy(ctx context.Context, eng engine.Engine, p *config.Project, opts CopyOptions) error {
	cs, err := containersOf(ctx, eng, p, []string{opts.Service})
	if err != nil {
		return err
	}
	slices.SortFunc(cs, func(a, b engine.Container) int { return cmp.Compare(a.Name, b.Name) })
	id, cpath := cs[0].ID, path.Clean("/"+opts.ContainerPath)
	if opts.ToContainer {
		return copyIn(ctx, eng, id, opts.HostPath, cpath)
	}
	return copyOut(ctx, eng, id, cpath, opts.HostPath)
}

// copyIn sends src as a tar archive to dst in the container.
func copyIn(ctx context.Context, eng engine.Engine, id, src, dst string) error {
	info, err := os.Lstat(src)
	if err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	dir, name := dst, filepath.Base(src)
	isDir, err := eng.ContainerStatPath(ctx, id, dst)
	switch {
	case errors.Is(err, engine.ErrNotFound):
		dir, name = path.Dir(dst), path.Base(dst)
	case err != nil:
		return err
	case !isDir && info.IsDir():
		return fmt.Errorf("copying directory %s onto %s: it is a file in the container", src, dst)
	case !isDir:
		dir, name = path.Dir(dst), path.Base(dst)
	}
	archive, errc := tarFrom(src, name)
	if err := eng.CopyToContainer(ctx, id, dir, archive); err != nil {
		archive.CloseWithError(err)
		<-errc
		return err
	}
	return <-errc
}

// copyOut writes src of the container to dst on the host.
func copyOut(ctx context.Context, eng engine.Engine, id, src, dst string) error {
	target := dst
	if info, err := os.Stat(dst); err == nil && info.IsDir() {
		target = filepath.Join(dst, path.Base(src))
	}
	rc, err := eng.CopyFromContainer(ctx, id, src)
	if err != nil {
		return err
	}
	defer rc.Close()
	return untarTo(rc, path.Base(src), target)
}
