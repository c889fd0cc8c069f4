package engine

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIgnore(t *testing.T) {
	const patterns = `
# comment
*.log
!keep.log
/build
**/node_modules
docs/**/*.md
!docs/README.md
tmp?
[abc].txt
vendor/
`
	ig, err := ParseIgnore(strings.NewReader(patterns))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want bool
	}{
		{"a.log", true},
		{"keep.log", false},
		{"sub/a.log", false}, // * does not cross directories
		{"build", true},
		{"build/out/x", true}, // inside an excluded directory
		{"src/build", false},
		{"node_modules/x.js", true},
		{"web/app/node_modules/y/z.js", true},
		{"docs/a.md", true},
		{"docs/deep/er/b.md", true},
		{"docs/README.md", false},
		{"docs/a.txt", false},
		{"tmp1", true},
		{"tmp12", false},
		{"b.txt", true},
		{"d.txt", false},
		{"vendor/lib/x.go", true},
		{"main.go", false},
	}
	for _, tt := range tests {
		if got := ig.Excluded(tt.path); got != tt.want {
			t.Errorf("Excluded(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestIgnoreErrors(t *testing.T) {
	_, err := ParseIgnore(strings.NewReader("ok\n[unclosed\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("err = %v, want one naming line 2", err)
	}
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// tarFiles lists a tar's entries as name -> content ("" for directories).
func tarFiles(t *testing.T, c *BuildContext) map[string]string {
	t.Helper()
	var buf bytes.Buffer
	if err := c.WriteTar(&buf); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	tr := tar.NewReader(&buf)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		out[hdr.Name] = string(data)
	}
}

func TestBuildContextTar(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"Dockerfile":      "FROM scratch\n",
		".dockerignore":   "secret.txt\ncache\nDockerfile\n.dockerignore\n*.tmp\n!important.tmp\n",
		"app/main.go":     "package main",
		"secret.txt":      "s3cr3t",
		"cache/big.bin":   "xxxx",
		"x.tmp":           "t",
		"important.tmp":   "i",
		"app/sub/y.tmp":   "not at the top",
		"app/sub/keep.go": "k",
	})
	c, err := NewBuildContext(dir, "Dockerfile", "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		".dockerignore": "secret.txt\ncache\nDockerfile\n.dockerignore\n*.tmp\n!important.tmp\n",
		"Dockerfile":    "FROM scratch\n", // always sent, though ignored
		"app/":          "", "app/main.go": "package main", "app/sub/": "",
		"app/sub/keep.go": "k", "app/sub/y.tmp": "not at the top", "important.tmp": "i",
	}
	if diff := cmp.Diff(want, tarFiles(t, c)); diff != "" {
		t.Errorf("tar (-want +got):\n%s", diff)
	}
	if c.Dockerfile != "Dockerfile" {
		t.Errorf("Dockerfile = %q", c.Dockerfile)
	}
}

func TestBuildContextDockerfileElsewhere(t *testing.T) {
	dir := writeTree(t, map[string]string{"ctx/a": "a", "other/Dockerfile.dev": "FROM scratch\nCOPY a /a\n"})
	c, err := NewBuildContext(filepath.Join(dir, "ctx"), "../other/Dockerfile.dev", "")
	if err != nil {
		t.Fatal(err)
	}
	got := tarFiles(t, c)
	if got[c.Dockerfile] != "FROM scratch\nCOPY a /a\n" || got["a"] != "a" || !strings.HasPrefix(c.Dockerfile, ".devenv-dockerfile-") {
		t.Errorf("Dockerfile %q, tar %v", c.Dockerfile, got)
	}
	inline, err := NewBuildContext(filepath.Join(dir, "ctx"), "", "FROM scratch\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := tarFiles(t, inline); got[inline.Dockerfile] != "FROM scratch\n" {
		t.Errorf("inline: Dockerfile %q, tar %v", inline.Dockerfile, got)
	}
	if _, err := NewBuildContext(filepath.Join(dir, "ctx"), "Nope", ""); err == nil || !strings.Contains(err.Error(), "fix build: dockerfile") {
		t.Errorf("missing Dockerfile: err = %v", err)
	}
}

func TestBuildContextHash(t *testing.T) {
	dir := writeTree(t, map[string]string{"Dockerfile": "FROM scratch\n", "a": "1", "ignored": "x", ".dockerignore": "ignored\n"})
	hash := func() string {
		c, err := NewBuildContext(dir, "Dockerfile", "")
		if err != nil {
			t.Fatal(err)
		}
		h, err := c.Hash()
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	first := hash()
	if err := os.WriteFile(filepath.Join(dir, "ignored"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := hash(); got != first {
		t.Error("changing an ignored file changed the hash")
	}
	if err := os.WriteFile(filepath.Join(dir, "a"), []byte("2"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := hash(); got == first {
		t.Error("changing a sent file kept the hash")
	}
}

func TestReadBuildFailure(t *testing.T) {
	stream := `{"stream":"Step 1/2 : FROM scratch\n"}
{"stream":" ---\u003e 1234\n"}
{"stream":"Step 2/2 : COPY nope /nope\n"}
{"stream":"some output of the step\n"}
{"errorDetail":{"message":"COPY failed: file not found"},"error":"COPY failed: file not found"}
`
	var lines []string
	_, err := readBuild(strings.NewReader(stream), func(l string) { lines = append(lines, l) })
	want := "Step 2/2 : COPY nope /nope: COPY failed: file not found\n  | some output of the step"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	if len(lines) != 4 {
		t.Errorf("progress saw %q", lines)
	}
}
