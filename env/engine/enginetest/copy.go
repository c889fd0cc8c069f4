package enginetest

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
)

// CopyToContainer records the regular files of the tar stream as the
// container's, at dir joined with each entry's name; File reads them back.
func (f *Fake) CopyToContainer(ctx context.Context, id, dir string, r io.Reader) error {
	files := map[string]string{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("copying into container %s: reading the tar stream: %w", id, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return fmt.Errorf("copying into container %s: reading %s: %w", id, h.Name, err)
		}
		files[path.Join(dir, h.Name)] = string(data)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fc, err := f.containerLocked("copy", id)
	if err != nil {
		return err
	}
	if fc.files == nil {
		fc.files = map[string]string{}
	}
	for p, data := range files {
		fc.files[p] = data
	}
	return nil
}

// File returns a file copied into a container by CopyToContainer.
func (f *Fake) File(idOrName, path string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc := f.lookupLocked(idOrName)
	if fc == nil {
		return "", false
	}
	data, ok := fc.files[path]
	return data, ok
}
