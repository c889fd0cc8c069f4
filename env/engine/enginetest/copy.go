package enginetest

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/devenv-dev/devenv/env/engine"
)

// fakeFile is a file or directory in a fake container.
type fakeFile struct {
	dir  bool
	mode fs.FileMode // permission bits
	data []byte
}

// containerFileTree is a fake container's filesystem by absolute path. It
// starts with / only; CopyToContainer adds to it.
type containerFileTree map[string]fakeFile

// filesLocked is fc's filesystem.
func filesLocked(fc *fakeContainer) containerFileTree {
	if fc.files == nil {
		fc.files = containerFileTree{"/": {dir: true, mode: 0o755}}
	}
	return fc.files
}

// CopyToContainer extracts the directories and regular files of the tar
// stream into dir, which must exist; missing parents of an entry are made,
// as the engine makes them.
func (f *Fake) CopyToContainer(ctx context.Context, id, dir string, r io.Reader) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc, err := f.containerLocked("copy", id)
	if err != nil {
		return err
	}
	files := filesLocked(fc)
	dir = path.Clean("/" + dir)
	if !files[dir].dir {
		return fmt.Errorf("copying files into container %s at %s: %w: no such directory", fc.c.Name, dir, engine.ErrNotFound)
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("copying into container %s: reading the tar stream: %w", fc.c.Name, err)
		}
		p := path.Join(dir, h.Name)
		for parent := path.Dir(p); !files[parent].dir; parent = path.Dir(parent) {
			files[parent] = fakeFile{dir: true, mode: 0o755}
		}
		switch h.Typeflag {
		case tar.TypeDir:
			files[p] = fakeFile{dir: true, mode: fs.FileMode(h.Mode).Perm()}
		case tar.TypeReg:
			data, err := io.ReadAll(tr)
			if err != nil {
				return fmt.Errorf("copying into container %s: reading %s: %w", fc.c.Name, h.Name, err)
			}
			files[p] = fakeFile{mode: fs.FileMode(h.Mode).Perm(), data: data}
		}
	}
}

// File returns a regular file copied into a container by CopyToContainer.
func (f *Fake) File(idOrName, path string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc := f.lookupLocked(idOrName)
	if fc == nil {
		return "", false
	}
	ff, ok := fc.files[path]
	return string(ff.data), ok && !ff.dir
}

// CopyFromContainer archives path and, for a directory, what is under it.
func (f *Fake) CopyFromContainer(ctx context.Context, id, p string) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc, err := f.containerLocked("copy-from", id)
	if err != nil {
		return nil, err
	}
	files := filesLocked(fc)
	p = path.Clean("/" + p)
	if _, ok := files[p]; !ok {
		return nil, fmt.Errorf("copying %s from container %s: %w", p, fc.c.Name, engine.ErrNotFound)
	}
	var paths []string
	for q := range files {
		if q == p || strings.HasPrefix(q, strings.TrimSuffix(p, "/")+"/") {
			paths = append(paths, q)
		}
	}
	slices.Sort(paths)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	base := path.Dir(p)
	for _, q := range paths {
		ff := files[q]
		name := strings.TrimPrefix(strings.TrimPrefix(q, base), "/")
		h := &tar.Header{Name: name, Mode: int64(ff.mode), Typeflag: tar.TypeReg, Size: int64(len(ff.data))}
		if ff.dir {
			h.Name, h.Typeflag, h.Size = name+"/", tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(ff.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return io.NopCloser(&buf), nil
}

// ContainerStatPath says whether path is a directory in the container.
func (f *Fake) ContainerStatPath(ctx context.Context, id, p string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(); err != nil {
		return false, err
	}
	fc := f.lookupLocked(id)
	if fc == nil {
		return false, fmt.Errorf("looking up %s in container %s: %w", p, id, engine.ErrNotFound)
	}
	ff, ok := filesLocked(fc)[path.Clean("/"+p)]
	if !ok {
		return false, fmt.Errorf("looking up %s in container %s: %w", p, fc.c.Name, engine.ErrNotFound)
	}
	return ff.dir, nil
}
