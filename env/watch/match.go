package watch

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/devenv-dev/devenv/env/engine"
)

// defaultIgnore are changes no rule wants: version control internals and
// the temporary files editors write beside the one being saved.
var defaultIgnore = []string{".git", "**/*.swp", "**/*.swx", "**/*~", "**/.#*", "**/4913"}

// Rule is one watched path and the changes under it that count.
type Rule struct {
	// Path is an absolute file or directory on the host.
	Path string
	// Ignore patterns (.dockerignore syntax, relative to Path) leave
	// changes out; Include patterns, when set, are the only ones that count.
	Ignore, Include []string
	// Context, when set, is a build context whose .dockerignore also
	// leaves changes out (for rules that rebuild an image from it).
	Context string
}

// matcher is a Rule made ready to test paths.
type matcher struct {
	root    string
	file    bool           // root is a file, not a directory
	ignore  *engine.Ignore // never nil
	include *engine.Ignore // nil: everything counts
	context string
	ctxIgn  *engine.Ignore // the context's .dockerignore; nil when none
}

func newMatcher(r Rule) (*matcher, error) {
	fi, err := os.Stat(r.Path)
	if err != nil {
		return nil, fmt.Errorf("watching %s: %w", r.Path, err)
	}
	m := &matcher{root: filepath.Clean(r.Path), file: !fi.IsDir(), context: r.Context}
	if m.ignore, err = patterns(append(append([]string(nil), defaultIgnore...), r.Ignore...)); err != nil {
		return nil, fmt.Errorf("ignore patterns of %s: %w", r.Path, err)
	}
	if len(r.Include) > 0 {
		if m.include, err = patterns(r.Include); err != nil {
			return nil, fmt.Errorf("include patterns of %s: %w", r.Path, err)
		}
	}
	if r.Context != "" {
		if m.ctxIgn, err = readDockerignore(r.Context); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func patterns(list []string) (*engine.Ignore, error) {
	return engine.ParseIgnore(strings.NewReader(strings.Join(list, "\n")))
}

func readDockerignore(dir string) (*engine.Ignore, error) {
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading .dockerignore: %w", err)
	}
	defer f.Close()
	ig, err := engine.ParseIgnore(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return ig, nil
}

// rel returns path relative to the rule's root, slash-separated, and
// whether it is under it at all.
func (m *matcher) rel(path string) (string, bool) {
	if m.file {
		return filepath.Base(path), path == m.root
	}
	return under(m.root, path)
}

// under returns path relative to dir, slash-separated, and whether it is
// inside dir (or dir itself, ".").
func under(dir, path string) (string, bool) {
	rel, err := filepath.Rel(dir, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// Matches reports whether a change of path counts for the rule.
func (m *matcher) Matches(path string) bool {
	rel, ok := m.rel(path)
	if !ok || (rel == "." && !m.file) {
		return false
	}
	if m.ignore.Excluded(rel) {
		return false
	}
	if m.include != nil && !m.include.Excluded(rel) {
		return false
	}
	if m.ctxIgn != nil {
		if crel, ok := under(m.context, path); ok && m.ctxIgn.Excluded(crel) {
			return false
		}
	}
	return true
}

// skipDir reports whether no change under dir can count, so that it need
// not be watched.
func (m *matcher) skipDir(dir string) bool {
	rel, ok := m.rel(dir)
	if !ok || m.file {
		return true
	}
	return rel != "." && m.ignore.Excluded(rel) && !m.ignore.HasExceptions()
}

// Files lists the files under r.Path that count for r, as a full sync
// would copy them.
func Files(r Rule) ([]string, error) {
	m, err := newMatcher(r)
	if err != nil {
		return nil, err
	}
	if m.file {
		return []string{m.root}, nil
	}
	var out []string
	err = filepath.WalkDir(m.root, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && p != m.root && m.skipDir(p):
			return filepath.SkipDir
		case !d.IsDir() && m.Matches(p):
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", r.Path, err)
	}
	return out, nil
}
