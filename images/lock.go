package images

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// LockFile is the name of the digest lock file, next to envs.yaml.
const LockFile = "envs.lock"

// lockVersion is the only format version this package reads and writes.
const lockVersion = 1

const lockHeader = "# envs.lock — image digests pinned by `devenv lock`; devenv up runs exactly these. Commit it.\n"

// Pin is the digest an image reference resolved to.
type Pin struct {
	Digest   string // manifest (or index) digest, sha256:…
	Platform string // os/arch of the engine that resolved it, e.g. linux/amd64; may be empty
}

// Lock pins image references to digests.
type Lock struct {
	// Images is keyed by the reference as envs.yaml resolves it (registry
	// prefix applied), without a digest: "127.0.0.1:5000/team/store:dev".
	Images map[string]Pin
}

// ReadLock reads a lock file. A missing file is an error wrapping
// fs.ErrNotExist; a malformed one names path:line.
func ReadLock(path string) (*Lock, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading image lock: %w", err)
	}
	return parseLock(path, b)
}

func parseLock(path string, b []byte) (*Lock, error) {
	l := &Lock{Images: map[string]Pin{}}
	sawVersion := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fail := func(format string, args ...any) error {
			return fmt.Errorf("%s:%d: %s", path, n, fmt.Sprintf(format, args...))
		}
		f := strings.Fields(line)
		if !sawVersion {
			if err := checkVersion(f); err != nil {
				return nil, fail("%v", err)
			}
			sawVersion = true
			continue
		}
		ref, pin, err := parseLockEntry(f)
		if err != nil {
			return nil, fail("%v", err)
		}
		if _, dup := l.Images[ref]; dup {
			return nil, fail("%s is pinned twice; run devenv lock again", ref)
		}
		l.Images[ref] = pin
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if !sawVersion {
		return nil, fmt.Errorf("%s: not an image lock: no version line", path)
	}
	return l, nil
}

func checkVersion(f []string) error {
	if len(f) != 2 || f[0] != "version" {
		return errors.New(`expected "version 1" before any image`)
	}
	v, err := strconv.Atoi(f[1])
	if err != nil || v != lockVersion {
		return fmt.Errorf("lock version %s is not supported (this devenv reads version %d); upgrade devenv or run devenv lock again", f[1], lockVersion)
	}
	return nil
}

func parseLockEntry(f []string) (string, Pin, error) {
	if len(f) < 2 || len(f) > 3 {
		return "", Pin{}, errors.New("expected: image digest [os/arch]")
	}
	ref, pin := f[0], Pin{Digest: f[1]}
	if len(f) == 3 {
		pin.Platform = f[2]
	}
	if strings.Contains(ref, "@") {
		return "", Pin{}, fmt.Errorf("%s: the image is written without its digest", ref)
	}
	if err := checkDigest(pin.Digest); err != nil {
		return "", Pin{}, fmt.Errorf("%s: %w", ref, err)
	}
	return ref, pin, nil
}

// checkDigest accepts sha256:<64 lowercase hex>, the only digest registries
// and the engine use for manifests.
func checkDigest(d string) error {
	hex, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(hex) != 64 || strings.Trim(hex, "0123456789abcdef") != "" {
		return fmt.Errorf("%q is not a sha256 digest", d)
	}
	return nil
}

// Marshal renders the lock: a comment, the version, then one line per image
// sorted by reference, "ref  digest  os/arch". Fields are separated by two
// spaces and not aligned, so adding an image changes one line.
func (l *Lock) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(lockHeader)
	fmt.Fprintf(&b, "version %d\n", lockVersion)
	refs := make([]string, 0, len(l.Images))
	for ref := range l.Images {
		refs = append(refs, ref)
	}
	slices.Sort(refs)
	for _, ref := range refs {
		p := l.Images[ref]
		b.WriteString(ref + "  " + p.Digest)
		if p.Platform != "" {
			b.WriteString("  " + p.Platform)
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// WriteFile writes the lock to path atomically: readers see the old file or
// the new one, never a part.
func (l *Lock) WriteFile(path string) error {
	for ref, p := range l.Images {
		if strings.ContainsAny(ref, " \t\n@") || ref == "" {
			return fmt.Errorf("writing %s: %q is not an image reference without digest", path, ref)
		}
		if err := checkDigest(p.Digest); err != nil {
			return fmt.Errorf("writing %s: %s: %w", path, ref, err)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing image lock: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(l.Marshal()); err != nil {
		tmp.Close()
		return fmt.Errorf("writing image lock: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("writing image lock: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing image lock: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing image lock: %w", err)
	}
	return nil
}

// Pinned returns ref pinned to digest, "name:tag@sha256:…", which the engine
// pulls and creates containers from by digest (the tag is kept for people).
// A digest already in ref is replaced.
func Pinned(ref, digest string) string {
	name, _, _ := strings.Cut(ref, "@")
	return name + "@" + digest
}

// Moved returns, sorted, the references in current whose digest differs
// from the one pinned in lock, including those the lock does not pin.
// References only in the lock are not reported.
func Moved(lock *Lock, current map[string]Pin) []string {
	var moved []string
	for ref, p := range current {
		var locked Pin
		if lock != nil {
			locked = lock.Images[ref]
		}
		if locked.Digest != p.Digest {
			moved = append(moved, ref)
		}
	}
	slices.Sort(moved)
	return moved
}
