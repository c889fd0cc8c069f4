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
// whose top entry is called name, owned by root unless keepOwner. The
// channel yields the walk's error once
// the archive is written or abandoned.
func tarFrom(src, name string, keepOwner bool) (*io.PipeReader, <-chan error) {
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
			return addHostEntry(tw, p, path.Join(name, filepath.ToSlash(rel)), keepOwner)
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
func addHostEntry(tw *tar.Writer, p, name string, keepOwner bool) error {
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
	if !keepOwner {
		h.Uid, h.Gid = 0, 0
	}
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
// error. keepOwner gives each entry the archive's uid and gid.
func untarTo(r io.Reader, top, target string, keepOwner bool) error {
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
		dst := filepath.Join(target, filepath.FromSlash(rel))
		if err := extract(tr, h, dst); err != nil {
			return err
		}
		if keepOwner && isExtracted(h) {
			if err := os.Lchown(dst, h.Uid, h.Gid); err != nil {
				return err
			}
		}
	}
}

func isExtracted(h *tar.Header) bool {
	return h.Typeflag == tar.TypeDir || h.Typeflag == tar.TypeReg || h.Typeflag == tar.TypeSymlink
}

// retopTar copies a tar stream whose entries start with from, renaming
// that top entry to to (and hard links' targets with it).
func retopTar(r io.Reader, w io.Writer, from, to string) error {
	return rewriteTar(r, w, func(h *tar.Header) {
		h.Name = retop(h.Name, from, to)
		if h.Typeflag == tar.TypeLink {
			h.Linkname = retop(h.Linkname, from, to)
		}
	})
}

// rootOwned copies a tar stream giving every entry to root.
func rootOwned(r io.Reader, w io.Writer) error {
	return rewriteTar(r, w, func(h *tar.Header) {
		h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "", ""
	})
}

// rewriteTar copies a tar stream, changing each header with edit.
func rewriteTar(r io.Reader, w io.Writer, edit func(*tar.Header)) error {
	tr, tw := tar.NewReader(r), tar.NewWriter(w)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return tw.Close()
		}
		if err != nil {
			return fmt.Errorf("reading a tar stream: %w", err)
		}
		edit(h)
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
}

// retop renames the first element of name from from to to.
func retop(name, from, to string) string {
	if name == from || strings.HasPrefix(name, from+"/") {
		return to + name[len(from):]
	}
	return name
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
