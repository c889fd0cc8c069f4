package engine

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// BuildContext is a build context directory as the engine receives it: the
// files .dockerignore leaves in, plus the Dockerfile wherever it lives.
type BuildContext struct {
	Dir        string
	Dockerfile string        // its name inside the tar
	files      []contextFile // in walk (lexical) order
	extra      []byte        // the Dockerfile's content when it is not a file of Dir
}

type contextFile struct {
	rel  string // slash-separated, relative to Dir
	abs  string
	info fs.FileInfo
	link string // symlink target
}

// NewBuildContext lists the context of a build: dir minus what its
// .dockerignore excludes (the Dockerfile and .dockerignore are always sent,
// as the docker CLI does). The Dockerfile is inline when not empty, else
// dockerfile, relative to dir or absolute; one outside dir is sent too.
func NewBuildContext(dir, dockerfile, inline string) (*BuildContext, error) {
	c := &BuildContext{Dir: dir}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("build context %s is not a directory; fix build: context", dir)
	}
	if err := c.setDockerfile(dockerfile, inline); err != nil {
		return nil, err
	}
	ig, err := readIgnore(dir)
	if err != nil {
		return nil, err
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if ig.Excluded(rel) && rel != c.Dockerfile && rel != ".dockerignore" {
			if d.IsDir() && !ig.HasExceptions() && !strings.HasPrefix(c.Dockerfile, rel+"/") {
				return filepath.SkipDir
			}
			return nil
		}
		return c.add(rel, p, d)
	})
	if err != nil {
		return nil, fmt.Errorf("reading build context %s: %w", dir, err)
	}
	return c, nil
}

func (c *BuildContext) add(rel, abs string, d fs.DirEntry) error {
	info, err := d.Info()
	if err != nil {
		return err
	}
	f := contextFile{rel: rel, abs: abs, info: info}
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		if f.link, err = os.Readlink(abs); err != nil {
			return err
		}
	case !info.Mode().IsRegular() && !info.IsDir():
		return nil // sockets, devices and pipes are not sent
	}
	c.files = append(c.files, f)
	return nil
}

// setDockerfile decides where the Dockerfile is inside the tar.
func (c *BuildContext) setDockerfile(dockerfile, inline string) error {
	if inline != "" {
		c.extra = []byte(inline)
	} else {
		abs := dockerfile
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(c.Dir, dockerfile)
		}
		if rel, err := filepath.Rel(c.Dir, abs); err == nil && !strings.HasPrefix(rel, "..") {
			if _, err := os.Stat(abs); err != nil {
				return fmt.Errorf("the Dockerfile %s: %w; create it or fix build: dockerfile", abs, errors.Unwrap(err))
			}
			c.Dockerfile = filepath.ToSlash(rel)
			return nil
		}
		data, err := os.ReadFile(abs)
		if err != nil {
			return fmt.Errorf("reading Dockerfile %s: %w; create it or fix build: dockerfile", abs, errors.Unwrap(err))
		}
		c.extra = data
	}
	sum := sha256.Sum256(c.extra)
	c.Dockerfile = ".devenv-dockerfile-" + hex.EncodeToString(sum[:6])
	return nil
}

func readIgnore(dir string) (*Ignore, error) {
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ig, err := ParseIgnore(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return ig, nil
}

// Files lists the slash-separated paths the tar holds, in order.
func (c *BuildContext) Files() []string {
	out := make([]string, 0, len(c.files)+1)
	for _, f := range c.files {
		out = append(out, f.rel)
	}
	if c.extra != nil {
		out = append(out, c.Dockerfile)
	}
	return out
}

// WriteTar writes the context as the tar the engine's build API takes.
// Owners, times and modes other than permissions are left out, so that
// the same files make the same tar.
func (c *BuildContext) WriteTar(w io.Writer) error {
	tw := tar.NewWriter(w)
	for _, f := range c.files {
		if err := writeEntry(tw, f); err != nil {
			return fmt.Errorf("adding %s to the build context: %w", f.rel, err)
		}
	}
	if c.extra != nil {
		hdr := &tar.Header{Name: c.Dockerfile, Mode: 0o644, Size: int64(len(c.extra)), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(c.extra); err != nil {
			return err
		}
	}
	return tw.Close()
}

func writeEntry(tw *tar.Writer, f contextFile) error {
	hdr := &tar.Header{Name: f.rel, Mode: int64(f.info.Mode().Perm())}
	switch {
	case f.info.IsDir():
		hdr.Typeflag, hdr.Name = tar.TypeDir, f.rel+"/"
	case f.link != "":
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, f.link
	default:
		hdr.Typeflag, hdr.Size = tar.TypeReg, f.info.Size()
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if hdr.Typeflag != tar.TypeReg {
		return nil
	}
	file, err := os.Open(f.abs)
	if err != nil {
		return err
	}
	defer file.Close()
	n, err := io.Copy(tw, file)
	if err == nil && n != hdr.Size {
		err = fmt.Errorf("file changed size while being read")
	}
	return err
}

// Hash is the hex SHA-256 of the context as the tar would carry it: every
// path, its permissions, link target and content.
func (c *BuildContext) Hash() (string, error) {
	h := sha256.New()
	if err := c.WriteTar(h); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
