package hub

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

func TestBackupWhileServingIsOneCommitAndRestores(t *testing.T) {
	t.Parallel()
	th := startHub(t, Options{})
	dir := th.opts.DataDir
	// Users are added one commit at a time while the backup streams: the
	// copy must hold u0..uK for some K, never a later user without an
	// earlier one, and open cleanly.
	const users = 60
	added := make(chan error, 1)
	go func() {
		for i := range users {
			if _, err := th.admin.AddUser(t.Context(), fmt.Sprintf("u%02d", i), hubapi.RoleDeveloper); err != nil {
				added <- err
				return
			}
		}
		added <- nil
	}()
	file := filepath.Join(t.TempDir(), "hub-backup.db")
	res, err := Backup(t.Context(), BackupOptions{DataDir: dir, File: file})
	if err != nil || !res.Online {
		t.Fatalf("Backup while serving: %+v, %v", res, err)
	}
	if err := <-added; err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(file); err != nil || info.Mode().Perm() != 0o600 || info.Size() != res.Size {
		t.Fatalf("the backup file: %v, %v; want mode 0600 and %d bytes", info, err, res.Size)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(file), ".*partial")); len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
	if rep, err := Doctor(DoctorOptions{Store: file}); err != nil || len(rep.Damage) != 0 {
		t.Fatalf("doctor on the backup: %+v, %v", rep, err)
	}

	// Restore: a stopped hub's store replaced by the backup.
	th.Close()
	restored := t.TempDir()
	if err := os.Rename(file, filepath.Join(restored, storeName)); err != nil {
		t.Fatal(err)
	}
	th2 := startHub(t, Options{DataDir: restored})
	got, err := th2.admin.Users(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range got {
		if want := fmt.Sprintf("u%02d", i); u.Name != want {
			t.Fatalf("the backup holds user %s where %s belongs: not one commit's state", u.Name, want)
		}
	}
	if th2.HubPeer().PublicKey != th.HubPeer().PublicKey {
		t.Error("the restored hub has another WireGuard key")
	}
}

func TestBackupOfAStoppedHubAndItsRefusals(t *testing.T) {
	t.Parallel()
	th := startHub(t, Options{})
	dir := th.opts.DataDir
	if _, err := th.admin.AddUser(t.Context(), "ann", hubapi.RoleDeveloper); err != nil {
		t.Fatal(err)
	}
	th.Close()
	file := filepath.Join(t.TempDir(), "copy.db")
	writeStoreFile(t, file, []byte("an older backup"))
	res, err := Backup(t.Context(), BackupOptions{DataDir: dir, File: file})
	if err != nil || res.Online {
		t.Fatalf("Backup of a stopped hub: %+v, %v", res, err)
	}
	if rep, err := Doctor(DoctorOptions{Store: file}); err != nil || len(rep.Damage) != 0 {
		t.Errorf("doctor on the offline backup: %+v, %v", rep, err)
	}
	if _, err := Backup(t.Context(), BackupOptions{DataDir: dir, File: filepath.Join(dir, storeName)}); err == nil {
		t.Error("a backup onto the store itself was accepted")
	}

	// A damaged store is not copied as if it were sound.
	corruptNewestMeta(t, filepath.Join(dir, storeName))
	before := readStoreFile(t, file)
	_, err = Backup(t.Context(), BackupOptions{DataDir: dir, File: file})
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "newest commit") {
		t.Errorf("Backup of a damaged store: %v", err)
	}
	if string(before) != string(readStoreFile(t, file)) {
		t.Error("a failed backup replaced the previous one")
	}
}
