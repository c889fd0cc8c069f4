package hub

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

func TestAuditAPI(t *testing.T) {
	ah := startAccessHub(t, Options{})
	ah.granted(t, "prod-db", time.Hour)
	mid := time.Now().UTC()
	b := ah.granted(t, "db-ro", time.Hour)
	get := func(user string, q url.Values) ([]hubapi.AuditRecord, error) {
		var recs []hubapi.AuditRecord
		err := ah.client.do(t.Context(), http.MethodGet, hubapi.PathAudit+"?"+q.Encode(), ah.tokens[user], nil, &recs)
		return recs, err
	}
	if _, err := get("alice", nil); errCode(err) != "forbidden" {
		t.Errorf("a developer reads the audit trail: %v", err)
	}
	all, err := get("bob", nil)
	if err != nil || hubapi.VerifyAudit(all) != nil || all[0].Seq != 1 || all[0].Action != "user_add" {
		t.Fatalf("bob reads the audit trail: %d records, %v", len(all), err)
	}
	byTarget, err := get("dave", url.Values{"target": {"db-ro"}})
	if err != nil || len(byTarget) != 3 || byTarget[0].RequestID != b.ID {
		t.Errorf("records of db-ro: %+v, %v", byTarget, err)
	}
	since, err := get("carol", url.Values{"since": {mid.Format(time.RFC3339Nano)}})
	// alice's refused read is the fourth.
	if err != nil || len(since) != 4 || since[0].RequestID != b.ID || since[3].Verdict != "refused" || hubapi.VerifyAudit(since) != nil {
		t.Errorf("records since the middle: %+v, %v", since, err)
	}
	if _, err := get("bob", url.Values{"since": {"yesterday"}}); errCode(err) != "bad_request" {
		t.Errorf("a bad since: %v", err)
	}
}

// TestAuditTamperedStore edits and removes records in the store file
// while the hub is down; VerifyAudit over ReadAudit says where.
func TestAuditTamperedStore(t *testing.T) {
	ah := startAccessHub(t, Options{})
	for range 3 {
		ah.granted(t, "prod-db", time.Hour)
	}
	data := ah.opts.DataDir
	viaSocket, err := LoadAudit(t.Context(), data)
	if err != nil || hubapi.VerifyAudit(viaSocket) != nil || len(viaSocket) != 26 {
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
