package watch

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/devenv-dev/devenv/internal/testutil"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start runs a watcher over rules until the test ends; its changes arrive
// on the returned channel.
func start(t *testing.T, quiet time.Duration, rules ...Rule) <-chan Change {
	t.Helper()
	w, err := New(rules, Options{Quiet: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	changes := make(chan Change, 16)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, func(c Change) { changes <- c }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return changes
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWatchReportsChangesPerRule(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "src", "a.js"), "1")
	write(t, filepath.Join(dir, "Dockerfile"), "FROM scratch")
	changes := start(t, 0,
		Rule{Path: filepath.Join(dir, "src"), Ignore: []string{"*.tmp"}},
		Rule{Path: filepath.Join(dir, "Dockerfile")})

	write(t, filepath.Join(dir, "src", "ignored.tmp"), "x")
	write(t, filepath.Join(dir, "src", "a.js"), "2")
	got := testutil.Receive(t, "the change to src/a.js", changes)
	want := Change{Rule: 0, Paths: []string{filepath.Join(dir, "src", "a.js")}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("change (-want +got):\n%s", diff)
	}

	write(t, filepath.Join(dir, "Dockerfile"), "FROM scratch\nCOPY . /")
	got = testutil.Receive(t, "the change to the Dockerfile", changes)
	if diff := cmp.Diff(Change{Rule: 1, Paths: []string{filepath.Join(dir, "Dockerfile")}}, got); diff != "" {
		t.Errorf("change (-want +got):\n%s", diff)
	}
}

func TestWatchNewDirectoriesAndDeletes(t *testing.T) {
	dir := t.TempDir()
	changes := start(t, 0, Rule{Path: dir})

	// A directory made with files in it at once: those are reported even
	// if they were written before the directory was watched.
	deep := filepath.Join(dir, "a", "b", "c.txt")
	write(t, deep, "x")
	seen := map[string]bool{}
	for !seen[deep] {
		for _, p := range testutil.Receive(t, "the files of the new directory", changes).Paths {
			seen[p] = true
		}
	}
	// Now a/b is watched: a file written there later is seen too.
	later := filepath.Join(dir, "a", "b", "d.txt")
	write(t, later, "y")
	for !seen[later] {
		for _, p := range testutil.Receive(t, "a file in the new directory", changes).Paths {
			seen[p] = true
		}
	}
	if err := os.Remove(deep); err != nil {
		t.Fatal(err)
	}
	got := testutil.Receive(t, "the deletion", changes)
	if !slices.Contains(got.Paths, deep) {
		t.Errorf("deletion reported %v, want it to hold %s", got.Paths, deep)
	}
}

// TestWatchDebounces: a burst of writes closer together than Quiet gives
// one report holding every file. Quiet is long here so that the burst,
// written without pauses, is certainly within it.
func TestWatchDebounces(t *testing.T) {
	dir := t.TempDir()
	changes := start(t, testutil.Scaled(time.Second), Rule{Path: dir})
	var want []string
	for i := range 20 {
		p := filepath.Join(dir, "f"+string(rune('a'+i)))
		want = append(want, p)
		write(t, p, "x")
		write(t, p, "xy") // a second event for the same file
	}
	got := testutil.Receive(t, "the burst", changes)
	if diff := cmp.Diff(Change{Rule: 0, Paths: want}, got); diff != "" {
		t.Errorf("one report for the burst (-want +got):\n%s", diff)
	}
	select {
	case more := <-changes:
		t.Errorf("a second report after the burst: %v", more)
	default:
	}
}

func TestWatchSkipsIgnoredDirectories(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "node_modules", "x", "y.js"), "1")
	w, err := New([]Rule{{Path: dir, Ignore: []string{"node_modules"}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if got := w.fsw.WatchList(); len(got) != 1 || got[0] != dir {
		t.Errorf("watching %v, want only %s", got, dir)
	}
}
