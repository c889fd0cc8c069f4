package enginetest

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/env/engine"
)

func copyCases() []conformanceCase {
	return []conformanceCase{
		{"CopyToContainer", testCopyToContainer},
		{"CopyInAndOut", testCopy},
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

// tarEntry is what the suite checks of an archive entry.
type tarEntry struct {
	Name string
	Mode int64
	Data string
}

func writeTar(t *testing.T, entries []tarEntry) io.Reader {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Mode: e.Mode, Typeflag: tar.TypeReg, Size: int64(len(e.Data))}
		if e.Name[len(e.Name)-1] == '/' {
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.Data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &b
}

func (s *suite) readTar(id, path string) []tarEntry {
	s.t.Helper()
	rc, err := s.Engine.CopyFromContainer(s.t.Context(), id, path)
	s.must(err)
	defer rc.Close()
	var out []tarEntry
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		s.must(err)
		data, err := io.ReadAll(tr)
		s.must(err)
		out = append(out, tarEntry{Name: h.Name, Mode: h.Mode & 0o777, Data: string(data)})
	}
}

func testCopy(t *testing.T, s *suite) {
	id := s.create(s.spec("copy")) // a created container takes files too
	s.must(s.Engine.CopyToContainer(t.Context(), id, "/", writeTar(t, []tarEntry{
		{Name: "conf/", Mode: 0o750}, {Name: "conf/app.ini", Mode: 0o640, Data: "port = 80\n"},
	})))
	for path, want := range map[string]bool{"/conf": true, "/conf/app.ini": false} {
		isDir, err := s.Engine.ContainerStatPath(t.Context(), id, path)
		if err != nil || isDir != want {
			t.Errorf("stat %s: dir %v, %v; want dir %v", path, isDir, err, want)
		}
	}
	_, err := s.Engine.ContainerStatPath(t.Context(), id, "/conf/missing")
	s.is("stat of a missing path", err, engine.ErrNotFound)
	if diff := cmp.Diff([]tarEntry{{"app.ini", 0o640, "port = 80\n"}}, s.readTar(id, "/conf/app.ini")); diff != "" {
		t.Errorf("file out (-want +got):\n%s", diff)
	}
	want := []tarEntry{{"conf/", 0o750, ""}, {"conf/app.ini", 0o640, "port = 80\n"}}
	if diff := cmp.Diff(want, s.readTar(id, "/conf")); diff != "" {
		t.Errorf("directory out (-want +got):\n%s", diff)
	}
	_, err = s.Engine.CopyFromContainer(t.Context(), id, "/conf/missing")
	s.is("copying a missing path", err, engine.ErrNotFound)
	s.is("copying into a missing directory", s.Engine.CopyToContainer(t.Context(), id, "/nowhere", writeTar(t, nil)), engine.ErrNotFound)
}
