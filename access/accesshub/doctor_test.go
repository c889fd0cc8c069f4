package accesshub

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hub"
)

// TestUnreadableRequestRecordNamesItAndDoctorSkipsIt: the access half's
// buckets are checked at the hub's start, by the doctor and by its
// repair, as the hub's own are (hub.RegisterBuckets).
func TestUnreadableRequestRecordNamesItAndDoctorSkipsIt(t *testing.T) {
	t.Parallel()
	ah := startAccessHub(t, testOptions{RequestWindow: time.Hour})
	bad := ah.mustRequest(t, "alice", "prod-db", time.Hour)
	good := ah.mustRequest(t, "erin", "prod-db", time.Hour)
	ah.Close()
	dir := ah.opts.DataDir
	putRaw(t, filepath.Join(dir, hub.StoreFile), bucketRequests, bad.ID, []byte(`{"id":"`+bad.ID+`","state":`))

	where := fmt.Sprintf("requests %q", bad.ID)
	openRefused(t, dir, where+": unreadable record", "devenv hub doctor --state-dir "+dir, "--repair NEW.db")
	rep, err := hub.Doctor(hub.DoctorOptions{DataDir: dir})
	if err != nil || len(rep.Damage) != 1 || rep.Damage[0].Where != where {
		t.Fatalf("doctor: %+v, %v; want the one bad record", rep, err)
	}
	rep, fresh := repairInto(t, dir)
	if !hasDamage(rep.Repair.Lost, where, "unreadable record") || !hasDamage(rep.Repair.Lost, "reqkeys", "pointed at "+where) {
		t.Errorf("repair's losses: %+v", rep.Repair.Lost)
	}
	if !rep.Repair.AuditIntact {
		t.Errorf("no audit record was lost, yet: %s", rep.Repair.Audit)
	}
	th := startHub(t, testOptions{DataDir: fresh})
	open, err := th.admin.OpenAccess(t.Context())
	ids := []string{}
	for _, r := range open {
		ids = append(ids, r.ID)
	}
	if err != nil || !slices.Equal(ids, []string{good.ID}) {
		t.Errorf("requests in the repaired store: %v, %v; want only %s", ids, err, good.ID)
	}
}

// putRaw writes a value into the store as someone with the file could.
func putRaw(t *testing.T, path string, bucket []byte, key string, value []byte) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte(key), value) }); err != nil {
		t.Fatal(err)
	}
}

// openRefused starts a hub on dir, which must refuse with ErrDamaged.
func openRefused(t *testing.T, dir string, want ...string) {
	t.Helper()
	h, err := hub.New(hub.Options{DataDir: dir, Listen: "127.0.0.1:0", Extensions: []hub.Extension{New(Options{})}})
	if err == nil {
		h.Close()
		t.Fatal("the hub started on a damaged store")
	}
	if !errors.Is(err, hub.ErrDamaged) {
		t.Errorf("starting on a damaged store: %v; want ErrDamaged", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("starting on a damaged store: %q\nshould contain %q", err, w)
		}
	}
}

// repairInto runs the doctor with --repair into a fresh data directory.
func repairInto(t *testing.T, dir string) (hub.DoctorReport, string) {
	t.Helper()
	fresh := t.TempDir()
	rep, err := hub.Doctor(hub.DoctorOptions{DataDir: dir, RepairTo: filepath.Join(fresh, hub.StoreFile)})
	if err != nil || rep.Repair == nil {
		t.Fatalf("Doctor --repair: %+v, %v", rep, err)
	}
	return rep, fresh
}

func hasDamage(ds []hub.Damage, where, what string) bool {
	return slices.ContainsFunc(ds, func(d hub.Damage) bool {
		return strings.HasPrefix(d.Where, where) && strings.Contains(d.What, what)
	})
}
