// Package compattest finds the real-world compose files that compatibility
// tests read: the awesome-compose samples kept beside the repository
// (../shared/compat/awesome-compose), which a plain clone does not have.
package compattest

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Dir returns the samples' directory, or skips t when it is absent. The
// repository root is the nearest parent of the working directory with a
// go.mod.
func Dir(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := wd
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			t.Fatalf("no go.mod above %s", wd)
		}
		root = parent
	}
	dir := filepath.Join(filepath.Dir(root), "shared", "compat", "awesome-compose")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Skipf("compatibility samples not found at %s (a sibling of the repository, not part of a clone): skipped", dir)
	}
	return dir
}

// composeFileRE matches the compose files among a sample's files.
var composeFileRE = regexp.MustCompile(`compose.*\.ya?ml$`)

// Files returns every compose file under dir, relative to it with forward
// slashes, sorted. Hidden directories are left out.
func Files(t testing.TB, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != dir {
			return filepath.SkipDir
		}
		if !d.IsDir() && composeFileRE.MatchString(d.Name()) {
			rel, err := filepath.Rel(dir, path)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no compose files under %s", dir)
	}
	sort.Strings(files)
	return files
}
