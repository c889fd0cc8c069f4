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

// fakeFile is a file or directory in a fake container. A container's
// filesystem starts with / only.
type fakeFile struct {
	dir  bool
	mode fs.FileMode // permission bits
	data []byte
}

// containerFiles are the filesystems of containers, by ID, then path.
type containerFiles map[string]map[string]fakeFile

// filesLocked is the filesystem of container id.
func (f *Fake) filesLocked(id string) map[string]fakeFile {
	if f.files == nil {
		f.files = containerFiles{}
	}
	if f.files[id] == nil {
		f.files[id] = map[string]fakeFile{"/": {dir: true, mode: 0o755}}
	}
	return f.files[id]
}

// CopyToContainer extracts directories and regular files of archive into
// dir, which must exist.
func (f *Fake) CopyToContainer(ctx context.Context, id, dir string, archive io.Reader) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc, err := f.containerLocked("copy-to", id)
	if err != nil {
		return err
	}
	files := f.filesLocked(fc.c.ID)
	dir = path.Clean("/" + dir)
	if !files[dir].dir {
		return fmt.Errorf("copying into %s of container %s: %w: no such directory", dir, fc.c.Name, engine.ErrNotFound)
	}
	tr := tar.NewReader(archive)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("copying into container %s: %w", fc.c.Name, err)
		}
		p := path.Join(dir, h.Name)
		switch h.Typeflag {
		case tar.TypeDir:
			files[p] = fakeFile{dir: true, mode: fs.FileMode(h.Mode).Perm()}
		case tar.TypeReg:
			data, err := io.ReadAll(tr)
			if err != nil {
				return err
			}
			files[p] = fakeFile{mode: fs.FileMode(h.Mode).Perm(), data: data}
		}
	}
}

// CopyFromContainer archives path and, for a directory, what is under it.
func (f *Fake) CopyFromContainer(ctx context.Context, id, p string) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc, err := f.containerLocked("copy-from", id)
	if err != nil {
		return nil, err
	}
	files := f.filesLocked(fc.c.ID)
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
	ff, ok := f.filesLocked(fc.c.ID)[path.Clean("/"+p)]
	if !ok {
		return false, fmt.Errorf("looking up %s in container %s: %w", p, fc.c.Name, engine.ErrNotFound)
	}
	return ff.dir, nil
}
