//go:build unix

package env

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func ownerOf(t *testing.T, p string) (uid, gid int) {
	t.Helper()
	info, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := info.Sys().(*syscall.Stat_t)
	return int(st.Uid), int(st.Gid)
}

// untarTo gives entries the archive's owner only when asked.
func TestUntarKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown needs root")
	}
	archive := func() io.Reader {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		_ = tw.WriteHeader(&tar.Header{Name: "f", Typeflag: tar.TypeReg, Mode: 0o600, Uid: 4321, Gid: 4322})
		_ = tw.Close()
		return &b
	}
	for keep, wantUID := range map[bool]int{true: 4321, false: 0} {
		dst := filepath.Join(t.TempDir(), "f")
		if err := untarTo(archive(), "f", dst, keep); err != nil {
			t.Fatal(err)
		}
		if uid, gid := ownerOf(t, dst); uid != wantUID || (keep && gid != 4322) {
			t.Errorf("keepOwner %v: owner %d:%d, want uid %d", keep, uid, gid, wantUID)
		}
	}
}
