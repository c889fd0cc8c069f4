package cli

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// TestHubAuditStreamsPastSixteenMiB: verify and export through the admin
// socket hold a trail of 70,000 records (some 30 MB of JSON), and page it.
func TestHubAuditStreamsPastSixteenMiB(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads a 30 MB audit trail (run without -short)")
	}
	data, dir := t.TempDir(), t.TempDir()
	const n = 70000
	writeAuditTrail(t, filepath.Join(data, "hub.db"), n)
	runTestHub(t, data)
	out, errOut, code := runCLI(t, dir, "hub", "audit", "verify", "--state-dir", data)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("intact: %d records", n)) {
		t.Fatalf("verify of %d records: code %d, %q, %q", n, code, out, errOut)
	}
	out, errOut, code = runCLI(t, dir, "hub", "audit", "export", "--state-dir", data)
	var all []hubapi.AuditRecord
	if code != 0 || json.Unmarshal([]byte(out), &all) != nil || len(all) != n || all[n-1].Seq != n {
		t.Fatalf("export of %d records: code %d, %d bytes, %d records, %q", n, code, len(out), len(all), errOut)
	}
	if len(out) <= 16<<20 {
		t.Fatalf("the export is %d bytes: the test must pass the old 16 MiB bound", len(out))
	}
	out, errOut, code = runCLI(t, dir, "hub", "audit", "export", "--since", "69991", "--until", "69995", "--state-dir", data)
	var page []hubapi.AuditRecord
	if code != 0 || json.Unmarshal([]byte(out), &page) != nil || len(page) != 5 || page[0].Seq != 69991 {
		t.Errorf("export of a page: code %d, %d records, %q", code, len(page), errOut)
	}
	since := all[50000].Time.Format(time.RFC3339Nano)
	out, _, code = runCLI(t, dir, "hub", "audit", "export", "--since", since, "--state-dir", data)
	if code != 0 || json.Unmarshal([]byte(out), &page) != nil || len(page) != n-50000 {
		t.Errorf("export since a time: code %d, %d records", code, len(page))
	}
	out, errOut, code = runCLI(t, dir, "hub", "audit", "verify", "--since", "60000", "--until", "60009", "--state-dir", data)
	if code != 0 || !strings.Contains(out, "intact: 10 records") || !strings.Contains(out, "from record 60000 only") {
		t.Errorf("verify of a page: code %d, %q, %q", code, out, errOut)
	}
}

// writeAuditTrail writes a chained trail of n records into a new store, as
// a hub that has been busy for a while would have.
func writeAuditTrail(t *testing.T, path string, n int) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Now().Add(-time.Duration(n) * time.Second).UTC()
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("audit"))
		if err != nil {
			return err
		}
		prev := ""
		for i := 1; i <= n; i++ {
			r := hubapi.AuditRecord{Seq: uint64(i), Time: t0.Add(time.Duration(i) * time.Second), Actor: "gateway:gw1", Action: "operation",
				Target: "orders", RequestID: "0123456789abcdef", Verdict: "allowed", PrevHash: prev,
				Detail: map[string]string{"method": "GET", "path": "/orders/" + strings.Repeat("x", 200), "status": "200", "bytes": "512"}}
			r.Hash = hubapi.AuditHash(r)
			prev = r.Hash
			raw, _ := json.Marshal(r)
			if err := b.Put(binary.BigEndian.AppendUint64(nil, r.Seq), raw); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestHubAuditAnchorCommands: a checkpoint printed by the hub, kept in a
// file, catches records cut off the trail's end; a trail without its
// first record fails without any anchor.
func TestHubAuditAnchorCommands(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	h := runTestHub(t, data)
	for _, gw := range []string{"gw1", "gw2", "gw3"} {
		if _, errOut, code := runCLI(t, dir, "hub", "gateway", "add", gw, "--state-dir", data); code != 0 {
			t.Fatalf("gateway add: %s", errOut)
		}
	}
	out, errOut, code := runCLI(t, dir, "hub", "audit", "checkpoint", "--state-dir", data)
	anchors, err := hubapi.ParseAuditAnchors(out)
	if code != 0 || err != nil || len(anchors) != 1 || anchors[0].Seq != 3 || !strings.Contains(errOut, "sent to its webhook") {
		t.Fatalf("checkpoint: code %d, stdout %q, stderr %q", code, out, errOut)
	}
	anchor := anchors[0].String()
	file := filepath.Join(dir, "anchors")
	if err := os.WriteFile(file, []byte("# from #ops\nAudit checkpoint "+anchor+": keep this line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, arg := range []string{anchor, file} {
		out, errOut, code = runCLI(t, dir, "hub", "audit", "verify", "--anchor", arg, "--state-dir", data)
		if code != 0 || !strings.Contains(out, "intact: 3 records") || !strings.Contains(out, "1 anchor(s) held") {
			t.Errorf("verify --anchor %s: code %d, %q, %q", arg, code, out, errOut)
		}
	}
	h.Close()
	cutAuditRecord(t, filepath.Join(data, "hub.db"), 3)
	_, errOut, code = runCLI(t, dir, "hub", "audit", "verify", "--anchor", file, "--state-dir", data)
	if code != ExitError || !strings.Contains(errOut, "record 3: an anchor was kept for this record, but the trail ends at record 2") {
		t.Errorf("verify of a cut trail against its anchor: code %d, stderr %q", code, errOut)
	}
	cutAuditRecord(t, filepath.Join(data, "hub.db"), 1)
	_, errOut, code = runCLI(t, dir, "hub", "audit", "verify", "--state-dir", data)
	if code != ExitError || !strings.Contains(errOut, "record 2: the trail starts here, not at record 1") {
		t.Errorf("verify of a trail without its head: code %d, stderr %q", code, errOut)
	}
	_, errOut, code = runCLI(t, dir, "hub", "audit", "verify", "--anchor", "nonsense", "--state-dir", data)
	if code != ExitUsage || !strings.Contains(errOut, "neither SEQ:HASH nor a readable file") {
		t.Errorf("verify --anchor nonsense: code %d, stderr %q", code, errOut)
	}
}

func cutAuditRecord(t *testing.T, path string, seq uint64) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("audit")).Delete(binary.BigEndian.AppendUint64(nil, seq))
	}); err != nil {
		t.Fatal(err)
	}
}
