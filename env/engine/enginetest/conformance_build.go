package enginetest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/devenv-dev/devenv/env/engine"
)

// Builds tag their images PROJECT-built:N; the target removes those.
func buildCases() []conformanceCase {
	return []conformanceCase{
		{"BuildTagsAndLabels", testBuildTags},
		{"BuildInputsDecideTheImage", testBuildInputs},
	}
}

// buildDir writes a context with a FROM scratch Dockerfile copying file a.
func buildDir(t *testing.T, content string) string {
	dir := t.TempDir()
	for name, data := range map[string]string{"Dockerfile": "FROM scratch\nCOPY a /a\n", "a": content} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func (s *suite) build(dir string, labels map[string]string, tags ...string) string {
	s.t.Helper()
	bc, err := engine.NewBuildContext(dir, "Dockerfile", "")
	s.must(err)
	id, err := s.Engine.ImageBuild(s.t.Context(), engine.BuildSpec{Context: bc, Tags: tags, Labels: labels}, nil)
	s.must(err)
	return id
}

func testBuildTags(t *testing.T, s *suite) {
	tags := []string{s.Project + "-built:1", s.Project + "-built:2"}
	id := s.build(buildDir(t, "one"), map[string]string{"dev.devenv.test": "yes"}, tags...)
	for _, tag := range tags {
		img, err := s.Engine.ImageInspect(t.Context(), tag)
		s.must(err)
		if img.ID != id || img.Labels["dev.devenv.test"] != "yes" {
			t.Errorf("%s: ID %s labels %v, want ID %s with dev.devenv.test=yes", tag, img.ID, img.Labels, id)
		}
	}
}

func testBuildInputs(t *testing.T, s *suite) {
	tag := s.Project + "-built:1"
	dir := buildDir(t, "one")
	first := s.build(dir, nil, tag)
	if again := s.build(dir, nil, tag); again != first {
		t.Errorf("the same inputs built %s, then %s", first, again)
	}
	if err := os.WriteFile(filepath.Join(dir, "a"), []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	if changed := s.build(dir, nil, tag); changed == first {
		t.Errorf("a changed file built the same image %s", first)
	}
}
