package accesshub

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// TestTamperedRequestNotServed edits one field of a stored grant or request
// while the hub is down: the reopened hub does not serve it, ends it,
// says so loudly, and serves the untouched grant beside it.
func TestTamperedRequestNotServed(t *testing.T) {
	tests := []struct {
		name string
		edit func(*requestRecord)
	}{
		{"not_after extended", func(r *requestRecord) { r.NotAfter = r.NotAfter.Add(100 * time.Hour) }},
		{"approver changed", func(r *requestRecord) { r.Approver = "dave" }},
		{"key swapped", func(r *requestRecord) { r.PublicKey = "mS2TDz4ZxK6il3IOU+y9nSz2g+VFXXe2d+5nkT+iqHM=" }},
		{"target changed", func(r *requestRecord) { r.Target = "db-ro" }},
		{"revoked grant revived", func(r *requestRecord) { r.State = hubapi.StateApproved }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ah := startAccessHub(t, testOptions{})
			edited := ah.granted(t, "prod-db", time.Hour)
			kept := ah.granted(t, "db-ro", time.Hour)
			if tt.name == "revoked grant revived" {
				if _, err := ah.decide(t, "bob", hubapi.PathRevokeGrant, hubapi.RevokeGrantRequest{ID: edited.ID}); err != nil {
					t.Fatal(err)
				}
			}
			ah.Close()
			editRequest(t, ah.opts.DataDir, edited.ID, tt.edit)
			var log lockedBuffer
			ah2 := ah.reopen(t, testOptions{Logger: slog.New(slog.NewTextHandler(&log, nil))})
			gg, err := ah2.gatewayGrants(t, 0)
			if err != nil {
				t.Fatal(err)
			}
			var served []string
			for _, g := range gg.Grants {
				served = append(served, g.RequestID)
			}
			if !slices.Equal(served, []string{kept.ID}) {
				t.Errorf("the gateway is served %v, want only the untouched %s", served, kept.ID)
			}
			if _, err := ah2.grant(t, "alice", edited.ID, false); errCode(err) != "grant_ended" {
				t.Errorf("alice fetches the edited grant: %v", err)
			}
			recs := ah2.auditRecords(t)
			last := recs[len(recs)-1]
			if last.RequestID != edited.ID || last.Action != "revoke" || last.Verdict != "refused" || !strings.Contains(last.Detail["reason"], "does not match the audit trail") {
				t.Errorf("the trail's last record: %+v", last)
			}
			if l := log.String(); !strings.Contains(l, "level=ERROR") || !strings.Contains(l, edited.ID) || !strings.Contains(l, "edited outside the hub") {
				t.Errorf("the log does not name the edited request loudly:\n%s", l)
			}
			ah2.Close()
			var log2 lockedBuffer
			ah3 := ah.reopen(t, testOptions{Logger: slog.New(slog.NewTextHandler(&log2, nil))})
			if strings.Contains(log2.String(), "does not match") || len(ah3.auditRecords(t)) != len(recs) {
				t.Errorf("the ended request is reported again on the next start:\n%s", log2.String())
			}
		})
	}
}

// TestStoreWithoutSealsIsSealedOnce: a store written before requests were
// sealed serves its grants as they are, sealed on first open; an edit
// after that is caught.
func TestStoreWithoutSealsIsSealedOnce(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	g := ah.granted(t, "prod-db", time.Hour)
	ah.Close()
	tamper(t, ah.opts.DataDir, stripSeals)
	ah2 := ah.reopen(t, testOptions{})
	gg, err := ah2.gatewayGrants(t, 0)
	if err != nil || len(gg.Grants) != 1 || gg.Grants[0].RequestID != g.ID {
		t.Fatalf("the old store's grant: %+v, %v", gg.Grants, err)
	}
	recs := ah2.auditRecords(t)
	if got := actions(recs, g.ID); got[len(got)-1] != "request_state" {
		t.Errorf("the old store's grant was not sealed: %v", got)
	}
	ah2.Close()
	editRequest(t, ah.opts.DataDir, g.ID, func(r *requestRecord) { r.NotAfter = r.NotAfter.Add(time.Hour) })
	ah3 := ah.reopen(t, testOptions{})
	if gg, _ := ah3.gatewayGrants(t, 0); len(gg.Grants) != 0 {
		t.Errorf("an edit after sealing is served: %+v", gg.Grants)
	}
}

// stripSeals makes the trail one from before request seals: no
// request_digest anywhere, every record re-chained.
func stripSeals(b *bolt.Bucket) error {
	prev := ""
	for s := uint64(1); b.Get(seqKey(s)) != nil; s++ {
		var r hubapi.AuditRecord
		if err := json.Unmarshal(b.Get(seqKey(s)), &r); err != nil {
			return err
		}
		delete(r.Detail, detailRequestDigest)
		r.PrevHash = prev
		r.Hash = hubapi.AuditHash(r)
		prev = r.Hash
		raw, _ := json.Marshal(r)
		if err := b.Put(seqKey(s), raw); err != nil {
			return err
		}
	}
	return nil
}

// editRequest changes a stored request while no hub runs, as someone with
// the store file could.
func editRequest(t *testing.T, dataDir, id string, edit func(*requestRecord)) {
	t.Helper()
	tamperTx(t, dataDir, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRequests)
		var r requestRecord
		if err := json.Unmarshal(b.Get([]byte(id)), &r); err != nil {
			return err
		}
		edit(&r)
		raw, _ := json.Marshal(r)
		return b.Put([]byte(id), raw)
	})
}

func tamperTx(t *testing.T, dataDir string, edit func(*bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dataDir, hub.StoreFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(edit); err != nil {
		t.Fatal(err)
	}
}

// tamper edits the audit trail of the stopped hub on dataDir.
func tamper(t *testing.T, dataDir string, edit func(*bolt.Bucket) error) {
	t.Helper()
	tamperTx(t, dataDir, func(tx *bolt.Tx) error { return edit(hub.AuditBucket(tx)) })
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// lockedBuffer is a log destination the hub's goroutines may share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
