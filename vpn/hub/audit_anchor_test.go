package hub

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// TestCheckpointsGoToTheWebhook: a serving hub sends a checkpoint of its
// grown trail periodically, and one whenever its admin asks.
func TestCheckpointsGoToTheWebhook(t *testing.T) {
	wh := startWebhookReceiver(t)
	ah := startBusyHub(t, Options{Webhook: wh.url, AuditCheckpointEvery: 10 * time.Millisecond}, 1)
	recs, err := ah.admin.Audit(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	last := recs[len(recs)-1]
	want := hubapi.AuditAnchor{Seq: last.Seq, Hash: last.Hash}
	waitCheckpoint(t, wh, want)
	got, err := ah.admin.Checkpoint(t.Context())
	if err != nil || got != want {
		t.Fatalf("Checkpoint = %v, %v; want %v", got, err, want)
	}
	waitCheckpoint(t, wh, want) // on demand, though the trail did not grow
}

// waitCheckpoint waits for the webhook to receive checkpoint a; other
// messages (and earlier checkpoints) pass.
func waitCheckpoint(t *testing.T, wh *webhookReceiver, a hubapi.AuditAnchor) {
	t.Helper()
	timeout := time.After(testutil.Timeout())
	for {
		select {
		case text := <-wh.texts:
			if strings.Contains(text, "Audit checkpoint "+a.String()) && strings.Contains(text, "--anchor "+a.String()) {
				return
			}
		case <-timeout:
			t.Fatalf("the webhook did not receive checkpoint %s within %s", a, testutil.Timeout())
		}
	}
}

// TestVerifyHoldsHeadAndTail: offline verify of a store whose first
// records were removed fails; so does one cut or rewritten after a
// checkpoint, against that checkpoint.
func TestVerifyHoldsHeadAndTail(t *testing.T) {
	ah := startBusyHub(t, Options{}, 6)
	a, err := ah.admin.Checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	data := ah.opts.DataDir
	ah.Close()
	anchors := []hubapi.AuditAnchor{a}
	if res, err := VerifyAuditTrail(t.Context(), data, VerifyOptions{Anchors: anchors}); err != nil || res.Last != a {
		t.Fatalf("the intact trail: %+v, %v", res, err)
	}
	tests := []struct {
		name string
		edit func(*bolt.Bucket) error
		seq  uint64
		want string
	}{
		{"head dropped", func(b *bolt.Bucket) error { return deleteSeqs(b, 1, 10) }, 11, "records 1 to 10 are missing (removed?)"},
		{"tail cut", func(b *bolt.Bucket) error { return deleteSeqs(b, a.Seq-2, a.Seq) }, a.Seq, "the trail ends at record " + itoa(a.Seq-3)},
		{"tail rewritten", func(b *bolt.Bucket) error { return rewriteFrom(b, a.Seq-1) }, a.Seq, "differs from the anchor's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyStore(t, data)
			tamper(t, dir, tt.edit)
			if _, err := VerifyAuditTrail(t.Context(), dir, VerifyOptions{}); tt.name == "head dropped" && err == nil {
				t.Error("a trail without its head verifies without anchors")
			}
			_, err := VerifyAuditTrail(t.Context(), dir, VerifyOptions{Anchors: anchors})
			var ae *hubapi.AuditError
			if !errors.As(err, &ae) || ae.Seq != tt.seq || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("VerifyAuditTrail = %v, want record %d: %s", err, tt.seq, tt.want)
			}
		})
	}
}

func deleteSeqs(b *bolt.Bucket, from, to uint64) error {
	for s := from; s <= to; s++ {
		if err := b.Delete(seqKey(s)); err != nil {
			return err
		}
	}
	return nil
}

// rewriteFrom edits record seq and re-chains every record after it, as
// someone covering an edit would.
func rewriteFrom(b *bolt.Bucket, seq uint64) error {
	var prev string
	if raw := b.Get(seqKey(seq - 1)); raw != nil {
		var p hubapi.AuditRecord
		json.Unmarshal(raw, &p)
		prev = p.Hash
	}
	for s := seq; b.Get(seqKey(s)) != nil; s++ {
		var r hubapi.AuditRecord
		if err := json.Unmarshal(b.Get(seqKey(s)), &r); err != nil {
			return err
		}
		if s == seq {
			r.Actor = "mallory"
		}
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

// copyStore copies the store of dataDir into a new directory.
func copyStore(t *testing.T, dataDir string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dataDir, storeName))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, storeName), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
