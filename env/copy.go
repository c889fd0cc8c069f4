package env

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
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
	// HostPath is a host path, or "-": a tar stream read from Stdin (into
	// the container) or written to Stdout (out of it).
	HostPath string
	// ToContainer copies HostPath into the container; otherwise
	// ContainerPath is copied to the host.
	ToContainer bool
	// Archive keeps the uid and gid of what is copied; otherwise what is
	// copied into the container is root's.
	Archive bool
	// FollowLink copies what a symbolic link at the source leads to rather
	// than the link.
	FollowLink bool
	// Index is the service's container to copy with, from 1; 0 means 1.
	Index  int
	Stdin  io.Reader
	Stdout io.Writer
}

// linkResolver is the engine feature FollowLink needs beyond engine.Engine.
type linkResolver interface {
	ContainerLinkTarget(ctx context.Context, id, path string) (string, error)
}

// Copy copies a file or directory between the host and the service's
// container, running or not, as docker cp does: onto an existing directory
// the source goes inside it under its own name, else it takes the
// destination's name. Modes are kept; links are copied as links unless
// FollowLink. A HostPath of "-" moves a tar stream instead, into a
// directory of the container or out to Stdout.
func Copy(ctx context.Context, eng engine.Engine, p *config.Project, opts CopyOptions) error {
	c, err := containerFor(ctx, eng, p, opts.Service, opts.Index)
	if err != nil {
		return err
	}
	id, cpath := c.ID, path.Clean("/"+opts.ContainerPath)
	switch {
	case opts.ToContainer && opts.HostPath == "-":
		return streamIn(ctx, eng, id, cpath, opts)
	case opts.ToContainer:
		return copyIn(ctx, eng, id, cpath, opts)
	case opts.HostPath == "-":
		return streamOut(ctx, eng, id, cpath, opts)
	}
	return copyOut(ctx, eng, id, cpath, opts)
}

// containerFor is the container of service numbered index (from 1; 0 means
// 1). Until services scale, a service has one container and only index 1
// names it.
func containerFor(ctx context.Context, eng engine.Engine, p *config.Project, service string, index int) (engine.Container, error) {
	cs, err := containersOf(ctx, eng, p, []string{service})
	if err != nil {
		return engine.Container{}, err
	}
	slices.SortFunc(cs, func(a, b engine.Container) int { return cmp.Compare(a.Name, b.Name) })
	if index < 0 || index > 1 {
		return engine.Container{}, fmt.Errorf("service %s has no container with index %d: it has one container, index 1", service, index)
	}
	return cs[0], nil
}

// copyIn sends HostPath as a tar archive to dst in the container.
func copyIn(ctx context.Context, eng engine.Engine, id, dst string, opts CopyOptions) error {
	src := opts.HostPath
	if opts.FollowLink {
		resolved, err := filepath.EvalSymlinks(src)
		if err != nil {
			return fmt.Errorf("copying %s: %w", src, err)
		}
		src = resolved
	}
	info, err := os.Lstat(src)
	if err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	dir, name := dst, filepath.Base(opts.HostPath)
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
	archive, errc := tarFrom(src, name, opts.Archive)
	if err := eng.CopyToContainer(ctx, id, dir, archive); err != nil {
		archive.CloseWithError(err)
		<-errc
		return err
	}
	return <-errc
}

// streamIn extracts the tar stream on Stdin into dst, a directory of the
// container.
func streamIn(ctx context.Context, eng engine.Engine, id, dst string, opts CopyOptions) error {
	isDir, err := eng.ContainerStatPath(ctx, id, dst)
	if err != nil {
		return err
	}
	if !isDir {
		return fmt.Errorf("copying a tar stream to %s: the destination must be a directory in the container", dst)
	}
	if opts.Archive {
		return eng.CopyToContainer(ctx, id, dst, opts.Stdin)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(rootOwned(opts.Stdin, pw)) }()
	err = eng.CopyToContainer(ctx, id, dst, pr)
	pr.CloseWithError(err)
	return err
}

// source is the container path to archive: src, or where it leads when
// links are followed.
func source(ctx context.Context, eng engine.Engine, id, src string, follow bool) (string, error) {
	if !follow {
		return src, nil
	}
	lr, ok := eng.(linkResolver)
	if !ok {
		return "", errors.New("following links in the container (--follow-link): this engine cannot")
	}
	return lr.ContainerLinkTarget(ctx, id, src)
}

// copyOut writes src of the container to HostPath.
func copyOut(ctx context.Context, eng engine.Engine, id, src string, opts CopyOptions) error {
	target := opts.HostPath
	if info, err := os.Stat(target); err == nil && info.IsDir() {
		target = filepath.Join(target, path.Base(src))
	}
	from, err := source(ctx, eng, id, src, opts.FollowLink)
	if err != nil {
		return err
	}
	rc, err := eng.CopyFromContainer(ctx, id, from)
	if err != nil {
		return err
	}
	defer rc.Close()
	return untarTo(rc, path.Base(from), target, opts.Archive)
}

// streamOut writes src of the container to Stdout as a tar stream whose
// entries start with src's base name.
func streamOut(ctx context.Context, eng engine.Engine, id, src string, opts CopyOptions) error {
	from, err := source(ctx, eng, id, src, opts.FollowLink)
	if err != nil {
		return err
	}
	rc, err := eng.CopyFromContainer(ctx, id, from)
	if err != nil {
		return err
	}
	defer rc.Close()
	if from == src {
		_, err = io.Copy(opts.Stdout, rc)
		return err
	}
	return retopTar(rc, opts.Stdout, path.Base(from), path.Base(src))
}
