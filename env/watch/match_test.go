package watch

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMatcher(t *testing.T) {
	dir := t.TempDir()
	ctx := filepath.Join(dir, "ctx")
	if err := os.MkdirAll(filepath.Join(ctx, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ctx, ".dockerignore"), []byte("*.log\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		rule Rule
		path string
		want bool
	}{
		{"a file under the path", Rule{Path: ctx}, "src/a.js", true},
		{"outside the path", Rule{Path: filepath.Join(ctx, "src")}, "Dockerfile", false},
		{"the path itself is no change", Rule{Path: ctx}, "", false},
		{"ignored by pattern", Rule{Path: ctx, Ignore: []string{"src/*.tmp"}}, "src/a.tmp", false},
		{"ignored directory covers its files", Rule{Path: ctx, Ignore: []string{"node_modules/"}}, "node_modules/x/y.js", false},
		{"exception brings one back", Rule{Path: ctx, Ignore: []string{"src", "!src/keep.js"}}, "src/keep.js", true},
		{"include leaves out the rest", Rule{Path: ctx, Include: []string{"**/*.js"}}, "src/a.css", false},
		{"include lets matches in", Rule{Path: ctx, Include: []string{"**/*.js"}}, "src/a.js", true},
		{"editor swap files are left out", Rule{Path: ctx}, "src/.a.js.swp", false},
		{".git is left out", Rule{Path: ctx}, ".git/index", false},
		{"the context's .dockerignore applies to rebuild rules", Rule{Path: ctx, Context: ctx}, "build.log", false},
		{"but not to others", Rule{Path: ctx}, "build.log", true},
		{"a file rule matches that file", Rule{Path: filepath.Join(ctx, "Dockerfile")}, "Dockerfile", true},
		{"and nothing beside it", Rule{Path: filepath.Join(ctx, "Dockerfile")}, ".dockerignore", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := newMatcher(tt.rule)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Matches(filepath.Join(ctx, tt.path)); got != tt.want {
				t.Errorf("Matches(%s) = %v, want %v", tt.path, got, tt.want)
			}
		})
	}
}

func TestMatcherErrors(t *testing.T) {
	if _, err := newMatcher(Rule{Path: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("a missing path was accepted")
	}
	if _, err := newMatcher(Rule{Path: t.TempDir(), Ignore: []string{"[a"}}); err == nil {
		t.Error("a broken pattern was accepted")
	}
}
