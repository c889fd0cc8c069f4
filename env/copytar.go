package env

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// tarFrom streams src (a file, link or directory tree) as a tar archive
// whose top entry is called name. The channel yields the walk's error once
// the archive is written or abandoned.
func tarFrom(src, name string) (*io.PipeReader, <-chan error) {
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		tw := tar.NewWriter(pw)
		err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(src, p)
			if err != nil {
				return err
			}
			return addHostEntry(tw, p, path.Join(name, filepath.ToSlash(rel)))
		})
		if err == nil {
			err = tw.Close()
		}
		if err != nil {
			err = fmt.Errorf("archiving %s: %w", src, err)
		}
		pw.CloseWithError(err)
		errc <- err
	}()
	return pr, errc
}

// addHostEntry writes one file, link or directory of the host as entry name.
func addHostEntry(tw *tar.Writer, p, name string) error {
	info, err := os.Lstat(p)
	if err != nil {
		return err
	}
	link := ""
	if info.Mode()&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(p); err != nil {
			return err
		}
	}
	h, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return err
	}
	h.Name = name
	h.Uname, h.Gname = "", ""
	if info.IsDir() {
		h.Name += "/"
	}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(tw, f)
	return err
}

// untarTo extracts an archive whose entries start with top into target:
// top itself becomes target. Entries that would land outside it are an
// error.
func untarTo(r io.Reader, top, target string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the container's archive: %w", err)
		}
		rel, ok := strings.CutPrefix(path.Clean(h.Name), top)
		if !ok || (rel != "" && !strings.HasPrefix(rel, "/")) {
			return fmt.Errorf("archive entry %q is outside %s", h.Name, top)
		}
		if err := extract(tr, h, filepath.Join(target, filepath.FromSlash(rel))); err != nil {
			return err
		}
	}
}

// extract writes one entry at dst.
func extract(tr *tar.Reader, h *tar.Header, dst string) error {
	mode := fs.FileMode(h.Mode).Perm()
	switch h.Typeflag {
	case tar.TypeDir:
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return err
		}
		return os.Chmod(dst, mode)
	case tar.TypeReg:
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, tr); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		return os.Chmod(dst, mode)
	case tar.TypeSymlink:
		_ = os.Remove(dst)
		return os.Symlink(h.Linkname, dst)
	}
	return nil // devices, fifos and hard links are not copied
}
