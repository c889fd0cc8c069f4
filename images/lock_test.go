package images

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	digestA = "sha256:" + strings.Repeat("a", 64)
	digestB = "sha256:" + strings.Repeat("b", 64)
)

func TestLockMarshal(t *testing.T) {
	l := &Lock{Images: map[string]Pin{
		"127.0.0.1:5000/team/store:dev": {Digest: digestB, Platform: "linux/amd64"},
		"127.0.0.1:5000/team/api:1.2":   {Digest: digestA, Platform: "linux/amd64"},
		"redis:7":                       {Digest: digestA},
	}}
	want := "# envs.lock — image digests pinned by `devenv lock`; devenv up runs exactly these. Commit it.\n" +
		"version 1\n" +
		"127.0.0.1:5000/team/api:1.2  " + digestA + "  linux/amd64\n" +
		"127.0.0.1:5000/team/store:dev  " + digestB + "  linux/amd64\n" +
		"redis:7  " + digestA + "\n"
	if d := cmp.Diff(want, string(l.Marshal())); d != "" {
		t.Errorf("Marshal (-want +got):\n%s", d)
	}
	path := filepath.Join(t.TempDir(), LockFile)
	if err := l.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(l, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("WriteFile left %d files, want only the lock", len(entries))
	}
}

func TestLockEmpty(t *testing.T) {
	got, err := parseLock("envs.lock", (&Lock{}).Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Images) != 0 {
		t.Errorf("images = %v, want none", got.Images)
	}
}

func TestReadLockMissing(t *testing.T) {
	_, err := ReadLock(filepath.Join(t.TempDir(), LockFile))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadLock of a missing file = %v, want fs.ErrNotExist", err)
	}
}

func TestParseLockErrors(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"no version", "# only a comment\n", "envs.lock: not an image lock: no version line"},
		{"image before version", "redis:7 " + digestA + "\n", `envs.lock:1: expected "version 1" before any image`},
		{"future version", "# c\n\nversion 2\n", "envs.lock:3: lock version 2 is not supported (this devenv reads version 1); upgrade devenv or run devenv lock again"},
		{"bad digest", "version 1\nredis:7 sha256:abc\n", `envs.lock:2: redis:7: "sha256:abc" is not a sha256 digest`},
		{"missing digest", "version 1\nredis:7\n", "envs.lock:2: expected: image digest [os/arch]"},
		{"extra field", "version 1\nredis:7 " + digestA + " linux/amd64 x\n", "envs.lock:2: expected: image digest [os/arch]"},
		{"digest in ref", "version 1\nredis:7@" + digestA + " " + digestA + "\n", "envs.lock:2: redis:7@" + digestA + ": the image is written without its digest"},
		{"twice", "version 1\nredis:7 " + digestA + "\nredis:7 " + digestB + "\n", "envs.lock:3: redis:7 is pinned twice; run devenv lock again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseLock("envs.lock", []byte(tt.text))
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v\nwant    %s", err, tt.want)
			}
		})
	}
}

func TestWriteFileRejectsBadEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), LockFile)
	for _, l := range []*Lock{
		{Images: map[string]Pin{"redis:7": {Digest: "latest"}}},
		{Images: map[string]Pin{"redis 7": {Digest: digestA}}},
	} {
		if err := l.WriteFile(path); err == nil {
			t.Errorf("WriteFile(%v) succeeded", l.Images)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a rejected lock was written: %v", err)
	}
}

func TestPinned(t *testing.T) {
	for _, tt := range []struct{ ref, want string }{
		{"127.0.0.1:5000/team/store:dev", "127.0.0.1:5000/team/store:dev@" + digestA},
		{"redis", "redis@" + digestA},
		{"reg/x:1@" + digestB, "reg/x:1@" + digestA},
	} {
		if got := Pinned(tt.ref, digestA); got != tt.want {
			t.Errorf("Pinned(%q) = %q, want %q", tt.ref, got, tt.want)
		}
	}
}

func TestMoved(t *testing.T) {
	lock := &Lock{Images: map[string]Pin{
		"same:1":  {Digest: digestA, Platform: "linux/amd64"},
		"moved:1": {Digest: digestA},
		"gone:1":  {Digest: digestA},
	}}
	current := map[string]Pin{
		"same:1":  {Digest: digestA, Platform: "linux/amd64"},
		"moved:1": {Digest: digestB},
		"new:1":   {Digest: digestB},
	}
	if d := cmp.Diff([]string{"moved:1", "new:1"}, Moved(lock, current)); d != "" {
		t.Errorf("Moved (-want +got):\n%s", d)
	}
	if got := Moved(lock, map[string]Pin{"same:1": {Digest: digestA}}); got != nil {
		t.Errorf("Moved = %v, want none", got)
	}
}

func FuzzParseLock(f *testing.F) {
	f.Add([]byte("version 1\nredis:7  " + digestA + "  linux/amd64\n"))
	f.Add([]byte("# c\nversion 1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := parseLock("envs.lock", b)
		if err != nil {
			return
		}
		again, err := parseLock("envs.lock", l.Marshal())
		if err != nil {
			t.Fatalf("re-reading marshalled lock: %v\n%s", err, l.Marshal())
		}
		if d := cmp.Diff(l, again); d != "" {
			t.Errorf("round trip (-first +second):\n%s", d)
		}
	})
}
