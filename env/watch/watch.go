// Package watch reports changes to files on the host: it watches rules'
// paths recursively through the operating system's notifications
// (fsnotify), leaves out what each rule ignores, and hands over the
// changed paths once they have been quiet for a moment. It never prints
// and knows nothing of containers; env acts on what it reports.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultQuiet is how long changes must stop before they are reported.
const DefaultQuiet = 100 * time.Millisecond

// Change is what happened under one rule since the last report.
type Change struct {
	Rule  int      // index in the rules given to New
	Paths []string // absolute host paths, sorted; some may be gone (deleted)
}

// Options tunes a Watcher.
type Options struct {
	// Quiet is how long no event may arrive before the pending changes are
	// reported; 0 means DefaultQuiet.
	Quiet time.Duration
}

// Watcher watches the paths of its rules. Run it once.
type Watcher struct {
	rules []*matcher
	quiet time.Duration
	fsw   *fsnotify.Watcher
	// pending maps a rule to its changed paths; only Run's goroutine uses it.
	pending map[int]map[string]bool
}

// New checks the rules and starts watching their paths; every path must
// exist. Close it, or Run it until its context ends.
func New(rules []Rule, opts Options) (*Watcher, error) {
	w := &Watcher{quiet: opts.Quiet, pending: map[int]map[string]bool{}}
	if w.quiet <= 0 {
		w.quiet = DefaultQuiet
	}
	for _, r := range rules {
		m, err := newMatcher(r)
		if err != nil {
			return nil, err
		}
		w.rules = append(w.rules, m)
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("starting the file watcher: %w", err)
	}
	w.fsw = fsw
	for _, m := range w.rules {
		dir := m.root
		if m.file {
			dir = filepath.Dir(m.root)
		}
		if err := w.addTree(dir, nil); err != nil {
			fsw.Close()
			return nil, err
		}
	}
	return w, nil
}

// Close stops watching; Run returns once it is closed.
func (w *Watcher) Close() error { return w.fsw.Close() }

// addTree watches dir and the directories under it that some rule wants.
// found, when not nil, receives the files already there (a directory that
// appears while watching may have been filled before it was watched).
func (w *Watcher) addTree(dir string, found func(string)) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // gone meanwhile
			}
			return fmt.Errorf("watching %s: %w", p, err)
		}
		if !d.IsDir() {
			if found != nil {
				found(p)
			}
			return nil
		}
		if p != dir && !w.wanted(p) {
			return filepath.SkipDir
		}
		if err := w.fsw.Add(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("watching %s: %w", p, err)
		}
		return nil
	})
}

// wanted reports whether some rule wants changes under dir.
func (w *Watcher) wanted(dir string) bool {
	return slices.ContainsFunc(w.rules, func(m *matcher) bool { return !m.skipDir(dir) })
}

// Run reports changes to onChange, one call per rule with changes once
// they have been quiet for Options.Quiet, until ctx ends (it then returns
// nil) or watching fails. onChange runs on Run's goroutine: while it runs,
// new events wait. Run closes the watcher when it returns.
func (w *Watcher) Run(ctx context.Context, onChange func(Change)) error {
	defer w.fsw.Close()
	timer := time.NewTimer(w.quiet)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return nil
			}
			if w.event(ev) {
				timer.Reset(w.quiet)
			}
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return nil
			}
			return fmt.Errorf("watching files: %w", err)
		case <-timer.C:
			w.flush(onChange)
		}
	}
}

// event records one notification; it reports whether anything counted.
func (w *Watcher) event(ev fsnotify.Event) bool {
	if ev.Has(fsnotify.Chmod) && !ev.Has(fsnotify.Write|fsnotify.Create) {
		return false // metadata only: editors and indexers touch files all the time
	}
	counted := w.record(ev.Name)
	if ev.Has(fsnotify.Create) {
		if fi, err := os.Lstat(ev.Name); err == nil && fi.IsDir() && w.wanted(ev.Name) {
			// Errors here mean the directory went again; its removal is
			// reported by its parent.
			_ = w.addTree(ev.Name, func(p string) {
				if w.record(p) {
					counted = true
				}
			})
		}
	}
	return counted
}

// record adds path to the pending changes of every rule it counts for.
func (w *Watcher) record(path string) bool {
	counted := false
	for i, m := range w.rules {
		if !m.Matches(path) {
			continue
		}
		if w.pending[i] == nil {
			w.pending[i] = map[string]bool{}
		}
		w.pending[i][path] = true
		counted = true
	}
	return counted
}

// flush reports the pending changes, rule by rule in order.
func (w *Watcher) flush(onChange func(Change)) {
	for i := range w.rules {
		set := w.pending[i]
		if len(set) == 0 {
			continue
		}
		paths := make([]string, 0, len(set))
		for p := range set {
			paths = append(paths, p)
		}
		slices.Sort(paths)
		delete(w.pending, i)
		onChange(Change{Rule: i, Paths: paths})
	}
}
