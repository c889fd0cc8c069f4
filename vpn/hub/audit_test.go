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

func TestGatewayAuditIngest(t *testing.T) {
	ah := startAccessHub(t, Options{})
	r := ah.granted(t, "prod-db", time.Hour)
	at := time.Now().Add(-time.Second).UTC()
	recs := []hubapi.AuditRecord{
		{Time: at, Actor: "alice", Action: "connect", Target: "prod-db", RequestID: r.ID, Seq: 99, Hash: "forged"},
		{Time: at, Action: "operation", Target: "prod-db", RequestID: r.ID, Verdict: "refused",
			Detail: map[string]string{"method": "POST", "path": "/orders", "status": "403", "bytes": "57"}},
		{Action: "disconnect", Target: "prod-db", RequestID: r.ID},
	}
	if err := ah.client.do(t.Context(), http.MethodPost, hubapi.PathGatewayAudit, ah.gwToken, recs, nil); err != nil {
		t.Fatal(err)
	}
	all := ah.auditRecords(t)
	got := all[len(all)-3:]
	for i, rec := range got {
		if rec.Actor != "gateway:gw1" || rec.Action != recs[i].Action || rec.Seq != all[len(all)-4].Seq+uint64(i)+1 || rec.Time.IsZero() {
			t.Errorf("ingested record %d: %+v", i, rec)
		}
	}
	if !got[0].Time.Equal(at) || got[1].Detail["path"] != "/orders" || got[1].Verdict != "refused" {
		t.Errorf("the gateway's time and details were not kept: %+v", got[:2])
	}
	bad := []struct {
		name  string
		token string
		recs  []hubapi.AuditRecord
		code  string
	}{
		{"no action", ah.gwToken, []hubapi.AuditRecord{{Target: "prod-db"}}, "bad_request"},
		{"unknown request", ah.gwToken, []hubapi.AuditRecord{{Action: "connect", RequestID: "nope"}}, "bad_request"},
		{"device token", ah.tokens["dave"], recs, "unauthorized"},
	}
	for _, tt := range bad {
		err := ah.client.do(t.Context(), http.MethodPost, hubapi.PathGatewayAudit, tt.token, tt.recs, nil)
		if errCode(err) != tt.code {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
		}
	}
	if n := len(ah.auditRecords(t)); n != len(all) {
		t.Errorf("refused uploads left records: %d, want %d", n, len(all))
	}
}

func TestGatewayAuditForeignRecords(t *testing.T) {
	ah := startAccessHub(t, Options{})
	other, err := ah.admin.AddGateway(t.Context(), "gw2")
	if err != nil {
		t.Fatal(err)
	}
	ah.register(t, other.Token, []hubapi.Target{{Name: "cache", Protocol: hubapi.ProtocolRedis, MaxTTL: time.Hour}})
	r := ah.granted(t, "prod-db", time.Hour)
	for _, rec := range []hubapi.AuditRecord{
		{Action: "connect", RequestID: r.ID},
		{Action: "operation", Target: "prod-db"},
	} {
		err := ah.client.do(t.Context(), http.MethodPost, hubapi.PathGatewayAudit, other.Token, []hubapi.AuditRecord{rec}, nil)
		if errCode(err) != "bad_request" || !strings.Contains(err.Error(), "gw2") {
			t.Errorf("gw2 writing about gw1's %+v: %v", rec, err)
		}
	}
}

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
