package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// TestAuditTamperedStore edits and removes records in the store file
// while the hub is down; VerifyAudit over ReadAudit says where.
func TestAuditTamperedStore(t *testing.T) {
	ah := startBusyHub(t, Options{}, 3)
	data := ah.opts.DataDir
	viaSocket, err := LoadAudit(t.Context(), data)
	if err != nil || hubapi.VerifyAudit(viaSocket) != nil || len(viaSocket) != 9 {
		t.Fatalf("LoadAudit through the socket: %d records, %v", len(viaSocket), err)
	}
	ah.Close()
	offline, err := LoadAudit(t.Context(), data)
	if err != nil || len(offline) != len(viaSocket) || hubapi.VerifyAudit(offline) != nil {
		t.Fatalf("LoadAudit from the store: %d records, %v", len(offline), err)
	}
	tamper(t, data, func(b *bolt.Bucket) error {
		var rec hubapi.AuditRecord
		json.Unmarshal(b.Get(seqKey(5)), &rec)
		rec.Actor = "mallory"
		raw, _ := json.Marshal(rec)
		return b.Put(seqKey(5), raw)
	})
	wantBroken(t, data, 5, "hash does not match its content (edited?)")
	tamper(t, data, func(b *bolt.Bucket) error { return b.Delete(seqKey(5)) })
	wantBroken(t, data, 6, "record 5 is missing (removed?)")
}

// startBusyHub starts a hub whose trail holds records: n users, each
// with an invite and an enrolled device (three records each).
func startBusyHub(t *testing.T, opts Options, n int) *testHub {
	t.Helper()
	th := startHub(t, opts)
	for i := range n {
		user := fmt.Sprintf("user%d", i)
		th.enroll(t, th.invite(t, user, InviteOptions{}), "laptop")
	}
	return th
}

func tamper(t *testing.T, dataDir string, edit func(*bolt.Bucket) error) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dataDir, storeName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { return edit(tx.Bucket(bucketAudit)) }); err != nil {
		t.Fatal(err)
	}
}

func wantBroken(t *testing.T, dataDir string, seq uint64, problem string) {
	t.Helper()
	recs, err := ReadAudit(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	err = hubapi.VerifyAudit(recs)
	var ae *hubapi.AuditError
	if !errors.As(err, &ae) || ae.Seq != seq || !strings.Contains(err.Error(), problem) {
		t.Errorf("VerifyAudit = %v, want record %d: %s", err, seq, problem)
	}
}
