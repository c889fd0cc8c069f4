package env_test

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/env"
)

// On the engine: cp moves tar streams through - both ways, keeps owners
// with Archive only, follows links on either side with FollowLink, and
// refuses a container index the service does not have.
func TestCopyOptionsOnEngine(t *testing.T) {
	eng := dockerEngine(t)
	p := project(t, eng, pair)
	ctx := t.Context()
	if _, err := env.Up(ctx, eng, p, env.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	cp := func(o env.CopyOptions) {
		t.Helper()
		o.Service = "app"
		if err := env.Copy(ctx, eng, p, o); err != nil {
			t.Fatalf("cp %+v: %v", o, err)
		}
	}
	var in bytes.Buffer
	tw := tar.NewWriter(&in)
	for _, h := range []*tar.Header{
		{Name: "s/", Typeflag: tar.TypeDir, Mode: 0o755, Uid: 1234, Gid: 1235},
		{Name: "s/f", Typeflag: tar.TypeReg, Mode: 0o640, Uid: 1234, Gid: 1235, Size: 5},
		{Name: "lnk", Typeflag: tar.TypeSymlink, Linkname: "/s/f"},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			_, _ = tw.Write([]byte("hello"))
		}
	}
	_ = tw.Close()
	raw := in.Bytes()
	cp(env.CopyOptions{HostPath: "-", ContainerPath: "/", ToContainer: true, Stdin: bytes.NewReader(raw)})
	// The stream lands at / with root's ownership.
	host := t.TempDir()
	cp(env.CopyOptions{HostPath: host, ContainerPath: "/s", Archive: true})
	if uid := fileUID(t, filepath.Join(host, "s", "f")); uid != 0 {
		t.Errorf("without --archive, a streamed file is owned by %d, want 0", uid)
	}
	if err := env.Copy(ctx, eng, p, env.CopyOptions{Service: "app", HostPath: "-", ContainerPath: "/owned", ToContainer: true, Stdin: bytes.NewReader(raw)}); err == nil {
		t.Error("a stream into a missing directory: no error")
	}
	cp(env.CopyOptions{HostPath: filepath.Join(host, "s"), ContainerPath: "/s", ToContainer: true}) // puts /s/s
	cp(env.CopyOptions{HostPath: "-", ContainerPath: "/s/s", ToContainer: true, Archive: true, Stdin: bytes.NewReader(raw)})
	kept := t.TempDir()
	cp(env.CopyOptions{HostPath: kept, ContainerPath: "/s/s/s/f", Archive: true})
	if uid := fileUID(t, filepath.Join(kept, "f")); uid != 1234 {
		t.Errorf("with --archive both ways, owner %d, want 1234", uid)
	}

	// Out as a stream: entries under the source's name; followed, the
	// link's name with its target's content.
	var out bytes.Buffer
	cp(env.CopyOptions{HostPath: "-", ContainerPath: "/lnk", Stdout: &out})
	if diff := cmp.Diff([]string{"lnk -> /s/f"}, tarList(t, &out)); diff != "" {
		t.Errorf("streamed link (-want +got):\n%s", diff)
	}
	out.Reset()
	cp(env.CopyOptions{HostPath: "-", ContainerPath: "/lnk", Stdout: &out, FollowLink: true})
	if diff := cmp.Diff([]string{"lnk hello"}, tarList(t, &out)); diff != "" {
		t.Errorf("streamed followed link (-want +got):\n%s", diff)
	}
	// Followed to the host; and a host link followed into the container.
	followed := filepath.Join(t.TempDir(), "got")
	cp(env.CopyOptions{HostPath: followed, ContainerPath: "/lnk", FollowLink: true})
	if data, err := os.ReadFile(followed); err != nil || string(data) != "hello" {
		t.Errorf("followed link to the host: %q, %v", data, err)
	}
	hostLink := filepath.Join(t.TempDir(), "hl")
	if err := os.Symlink(followed, hostLink); err != nil {
		t.Fatal(err)
	}
	cp(env.CopyOptions{HostPath: hostLink, ContainerPath: "/viahost", ToContainer: true, FollowLink: true})
	out.Reset()
	cp(env.CopyOptions{HostPath: "-", ContainerPath: "/viahost", Stdout: &out})
	if diff := cmp.Diff([]string{"viahost hello"}, tarList(t, &out)); diff != "" {
		t.Errorf("host link followed into the container (-want +got):\n%s", diff)
	}

	err := env.Copy(ctx, eng, p, env.CopyOptions{Service: "app", HostPath: host, ContainerPath: "/s", Index: 2})
	if err == nil || !strings.Contains(err.Error(), "index 2") {
		t.Errorf("--index 2 of a one-container service: %v", err)
	}
	cp(env.CopyOptions{HostPath: t.TempDir(), ContainerPath: "/s", Index: 1})
}

func fileUID(t *testing.T, p string) int {
	t.Helper()
	info, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return int(info.Sys().(*syscall.Stat_t).Uid)
}

// tarList names a tar stream's entries: links with their target, files
// with their content.
func tarList(t *testing.T, r io.Reader) []string {
	t.Helper()
	var out []string
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		line := h.Name
		switch h.Typeflag {
		case tar.TypeSymlink:
			line += " -> " + h.Linkname
		case tar.TypeReg:
			body, _ := io.ReadAll(tr)
			line += " " + string(body)
		}
		out = append(out, line)
	}
}
