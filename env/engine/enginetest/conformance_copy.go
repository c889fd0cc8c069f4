package enginetest

import (
	"archive/tar"
	"bytes"
	"errors"
	"testing"

	"github.com/devenv-dev/devenv/env/engine"
)

func copyCases() []conformanceCase {
	return []conformanceCase{
		{"CopyToContainer", testCopyToContainer},
	}
}

func tarOf(t *testing.T, name, content string) *bytes.Buffer {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

// testCopyToContainer: files go into a running container, at new
// directories too; a missing container is ErrNotFound.
func testCopyToContainer(t *testing.T, s *suite) {
	id := s.create(s.spec("web"))
	s.must(s.Engine.ContainerStart(t.Context(), id))
	s.must(s.Engine.CopyToContainer(t.Context(), id, "/", tarOf(t, "synced/dir/a.txt", "hello")))
	err := s.Engine.CopyToContainer(t.Context(), "no-such-container-"+s.Project, "/", tarOf(t, "a", "x"))
	if !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("copying into a missing container: %v, want ErrNotFound", err)
	}
}
