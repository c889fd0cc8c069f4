package hub

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// The corruptions below are what a failing disk or a careless hand does to
// a bbolt file: bytes flipped in a meta page, a page of unknown type, a
// record that is not JSON.

// pageSizeOf reads a bbolt file's page size from meta page 0.
func pageSizeOf(raw []byte) int { return int(binary.NativeEndian.Uint32(raw[16+8:])) }

// corruptNewestMeta flips a byte of the meta page written last (the
// higher transaction id) and returns its number.
func corruptNewestMeta(t *testing.T, path string) int {
	t.Helper()
	raw := readStoreFile(t, path)
	ps := pageSizeOf(raw)
	n := 0
	if binary.NativeEndian.Uint64(raw[ps+16+48:]) > binary.NativeEndian.Uint64(raw[16+48:]) {
		n = 1
	}
	raw[n*ps+16+16] ^= 0xff // the root bucket's page number
	writeStoreFile(t, path, raw)
	return n
}

// corruptLeafHolding gives the leaf page that holds want, and none of
// avoid, a page type bbolt does not know; it returns how many elements
// the page held.
func corruptLeafHolding(t *testing.T, path, want string, avoid ...string) int {
	t.Helper()
	raw := readStoreFile(t, path)
	ps := pageSizeOf(raw)
	for off := 2 * ps; off+ps <= len(raw); off += ps {
		page := raw[off : off+ps]
		const leaf = 0x02
		if binary.NativeEndian.Uint16(page[8:]) != leaf || !bytes.Contains(page, []byte(want)) ||
			slices.ContainsFunc(avoid, func(a string) bool { return bytes.Contains(page, []byte(a)) }) {
			continue
		}
		binary.NativeEndian.PutUint16(page[8:], 0x40)
		writeStoreFile(t, path, raw)
		return int(binary.NativeEndian.Uint16(page[10:]))
	}
	t.Fatalf("no leaf page of %s holds %q without %q", path, want, avoid)
	return 0
}

func readStoreFile(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func writeStoreFile(t *testing.T, path string, raw []byte) {
	t.Helper()
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

// openRefused starts a hub on dir, which must refuse with ErrDamaged.
func openRefused(t *testing.T, dir string, want ...string) {
	t.Helper()
	h, err := New(Options{DataDir: dir, Listen: "127.0.0.1:0"})
	if err == nil {
		h.Close()
		t.Fatal("the hub started on a damaged store")
	}
	t.Log(err)
	if !errors.Is(err, ErrDamaged) {
		t.Errorf("starting on a damaged store: %v; want ErrDamaged", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("starting on a damaged store: %q\nshould contain %q", err, w)
		}
	}
}

// repairInto runs the doctor with --repair and moves the new store into
// a fresh data directory, as the README tells an admin to.
func repairInto(t *testing.T, dir string) (DoctorReport, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "repaired.db")
	before := readStoreFile(t, filepath.Join(dir, storeName))
	rep, err := Doctor(DoctorOptions{DataDir: dir, RepairTo: out})
	if err != nil || rep.Repair == nil {
		t.Fatalf("Doctor --repair: %+v, %v", rep, err)
	}
	t.Logf("%+v\n%+v", rep, *rep.Repair)
	if !bytes.Equal(before, readStoreFile(t, filepath.Join(dir, storeName))) {
		t.Error("the repair modified the damaged store")
	}
	if info, err := os.Stat(out); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the repaired store: %v, %v", info, err)
	}
	fresh := t.TempDir()
	if err := os.Rename(out, filepath.Join(fresh, storeName)); err != nil {
		t.Fatal(err)
	}
	return rep, fresh
}

func hasDamage(ds []Damage, where, what string) bool {
	return slices.ContainsFunc(ds, func(d Damage) bool {
		return strings.HasPrefix(d.Where, where) && strings.Contains(d.What, what)
	})
}

func TestCorruptMetaPageRefusesToStartAndDoctorSaysTheNewestCommitWasLost(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	th := startHub(t, Options{DataDir: dir})
	if _, err := th.admin.AddUser(t.Context(), "ann", hubapi.RoleDeveloper); err != nil {
		t.Fatal(err)
	}
	th.Close()
	page := corruptNewestMeta(t, filepath.Join(dir, storeName))
	before := readStoreFile(t, filepath.Join(dir, storeName))
	wantMeta := fmt.Sprintf("meta page %d: corrupt (checksum mismatch), so the store's newest commit", page)
	openRefused(t, dir, wantMeta, "was lost", "devenv hub doctor --state-dir "+dir, "--repair NEW.db")
	if !bytes.Equal(before, readStoreFile(t, filepath.Join(dir, storeName))) {
		t.Fatal("the refused start wrote to the store: bbolt's next commit overwrites the corrupt meta page and its evidence")
	}
	openRefused(t, dir, wantMeta) // and says so again
	if _, err := ReadAudit(dir); !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), wantMeta) {
		t.Errorf("offline audit read of the store: %v", err)
	}

	rep, fresh := repairInto(t, dir)
	where := fmt.Sprintf("meta page %d", page)
	if !hasDamage(rep.Damage, where, "newest commit") || !hasDamage(rep.Repair.Lost, where, "newest commit") {
		t.Errorf("doctor's report does not name the lost commit: %+v", rep)
	}
	th = startHub(t, Options{DataDir: fresh})
	users, err := th.admin.Users(t.Context())
	if err != nil || slices.ContainsFunc(users, func(u User) bool { return u.Name == "ann" }) {
		t.Errorf("the repaired store holds the commit before the lost one (ann not added): %+v, %v", users, err)
	}
}

func TestCorruptLeafPageIsAnErrorNotAPanic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	th := startHub(t, Options{DataDir: dir})
	const total = 80 // several leaf pages of audit records
	err := th.db.Update(func(tx *bolt.Tx) error {
		for i := range total {
			rec := hubapi.AuditRecord{Time: time.Now(), Actor: "hub", Action: "test", Detail: map[string]string{"n": fmt.Sprint(i)}}
			if err := AppendAudit(tx, rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	th.Close()
	path := filepath.Join(dir, storeName)
	onPage := corruptLeafHolding(t, path, `"action":"test"`, `"seq":1,`, fmt.Sprintf(`"seq":%d,`, total))

	if _, err := ReadAudit(dir); !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), path) ||
		!strings.Contains(err.Error(), "devenv hub doctor --state-dir "+dir) {
		t.Errorf("offline audit read of a store with a corrupt page: %v", err)
	}
	openRefused(t, dir, "pages: ", "devenv hub doctor --state-dir "+dir, "--repair NEW.db")
	rep, fresh := repairInto(t, dir)
	if !hasDamage(rep.Damage, "pages", "") || !hasDamage(rep.Repair.Lost, "bucket audit", "on damaged pages and were lost") {
		t.Errorf("doctor's report: %+v", rep)
	}
	if got := rep.Repair.Copied["audit"]; got != total-onPage {
		t.Errorf("salvaged %d audit records of %d with %d on the bad page: reading backwards past it should save the rest", got, total, onPage)
	}
	if rep.Repair.AuditIntact || !strings.Contains(rep.Repair.Audit, "does not verify") {
		t.Errorf("audit records were lost, yet: %s", rep.Repair.Audit)
	}
	th = startHub(t, Options{DataDir: fresh})
	if recs, err := th.admin.Audit(t.Context()); err != nil || len(recs) != total-onPage {
		t.Errorf("the repaired hub's audit: %d records, %v", len(recs), err)
	}
}

func TestDoctorRefusesAStoreTheHubHoldsAndNeverOverwrites(t *testing.T) {
	t.Parallel()
	th := startHub(t, Options{})
	dir := th.opts.DataDir
	if _, err := Doctor(DoctorOptions{DataDir: dir}); !errors.Is(err, ErrHubRunning) || !strings.Contains(err.Error(), "devenv hub backup") {
		t.Errorf("doctor on a running hub's store: %v", err)
	}
	th.Close()
	taken := filepath.Join(t.TempDir(), "taken.db")
	writeStoreFile(t, taken, []byte("keep me"))
	if _, err := Doctor(DoctorOptions{DataDir: dir, RepairTo: taken}); err == nil || !strings.Contains(err.Error(), "never overwrites") {
		t.Errorf("repair onto an existing file: %v", err)
	}
	if _, err := Doctor(DoctorOptions{DataDir: dir, RepairTo: filepath.Join(dir, storeName)}); err == nil {
		t.Error("repair onto the store itself was accepted")
	}
	if rep, err := Doctor(DoctorOptions{DataDir: dir}); err != nil || len(rep.Damage) != 0 {
		t.Errorf("doctor on a sound store: %+v, %v", rep, err)
	}
}

func TestMetaPageDamageSaysWhatWasLost(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	th := startHub(t, Options{DataDir: dir})
	th.Close()
	sound := readStoreFile(t, filepath.Join(dir, storeName))
	ps := pageSizeOf(sound)
	newest := 0
	if binary.NativeEndian.Uint64(sound[ps+16+48:]) > binary.NativeEndian.Uint64(sound[16+48:]) {
		newest = 1
	}
	tests := []struct {
		name  string
		pages []int // meta pages to corrupt
		want  string
	}{
		{"newest", []int{newest}, fmt.Sprintf("meta page %d: corrupt (checksum mismatch), so the store's newest commit", newest)},
		{"older", []int{1 - newest}, fmt.Sprintf("meta page %d: corrupt (checksum mismatch): the store reads as of transaction", 1-newest)},
		{"both", []int{0, 1}, "meta pages: neither is valid (page 0: checksum mismatch; page 1: checksum mismatch): the file cannot be read as a store; restore the last backup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := slices.Clone(sound)
			for _, n := range tt.pages {
				raw[n*ps+16+16] ^= 0xff
			}
			d := t.TempDir()
			writeStoreFile(t, filepath.Join(d, storeName), raw)
			openRefused(t, d, tt.want)
		})
	}
}
