package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hub/hubtest"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
)

// startRealHub serves a real hub with its store in process, and adds the
// gateway gw1; it returns the hub and a client with gw1's token.
func startRealHub(t *testing.T) (*hubtest.Hub, *hubclient.Client) {
	t.Helper()
	h := hubtest.Start(t, hub.Options{})
	return h, h.Gateway(t, "gw1")
}

// A gateway whose spool holds records for requests the hub does not know
// (as after the hub was restored from a backup) delivers the good records
// behind them: the hub quarantines the bad ones, the spool empties, and the
// gateway says so at Warn.
func TestSpoolBadRecordsHoldNothingBack(t *testing.T) {
	h, gwClient := startRealHub(t)
	state := t.TempDir()
	bad := hubapi.AuditRecord{Time: time.Now().Add(-time.Hour).UTC(), Actor: "gateway:gw1", Action: "operation", Target: "web",
		RequestID: "req-the-hub-lost", Verdict: "allowed", Detail: map[string]string{"path": "/before-the-restore"}}
	good := hubapi.AuditRecord{Time: time.Now().Add(-time.Minute).UTC(), Actor: "gateway:gw1", Action: "connect", Target: "web",
		Verdict: "refused", Detail: map[string]string{"reason": "no active grant for this address", "client": "100.101.0.77"}}
	var spooled bytes.Buffer
	for _, r := range []hubapi.AuditRecord{bad, bad, good, bad} {
		b, _ := json.Marshal(r)
		spooled.Write(append(b, '\n'))
	}
	if err := os.WriteFile(filepath.Join(state, auditFile), spooled.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	c := testConfig(t, newFakeHub(t), prodUpstream(t).URL, state, 10*time.Second)
	c.Metrics = "127.0.0.1:0"
	if st, err := ReadStatus(c); err != nil || st.Backlog.Records != 4 || !st.Backlog.Oldest.Equal(bad.Time) {
		t.Fatalf("status before the start: %+v, %v; want a backlog of 4 from %v", st.Backlog, err, bad.Time)
	}
	logs := &lockedLog{}
	gw, err := New(Options{Config: c, Hub: gwClient, pollAlive: 3 * time.Second,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); gw.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	testutil.Eventually(t, "an empty spool", func() bool {
		b, err := gw.spool.backlog()
		return err == nil && b.Records == 0
	})
	var recs []hubapi.AuditRecord
	err = h.StreamAudit(t.Context(), hub.AuditQuery{}, func(r hubapi.AuditRecord) error { recs = append(recs, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	var got *hubapi.AuditRecord
	for i, r := range recs {
		if r.Action == "connect" && r.Detail["client"] == "100.101.0.77" {
			got = &recs[i]
		}
	}
	if got == nil || got.Actor != "gateway:gw1" || !got.Time.Equal(good.Time) || got.ReceivedAt.Before(got.Time) {
		t.Fatalf("the good record behind the bad ones, in the hub's chain: %+v", got)
	}
	q, err := h.Quarantine()
	if err != nil || len(q) != 3 || q[0].Record.Detail["path"] != "/before-the-restore" {
		t.Errorf("quarantine: %+v, %v; want the 3 records of the lost request", q, err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "quarantined") {
		t.Errorf("the gateway did not warn of the quarantined records:\n%s", logs.String())
	}
	var m bytes.Buffer
	gw.writeMetrics(&m)
	if !strings.Contains(m.String(), "devenv_gateway_audit_backlog_records 0\n") {
		t.Errorf("metrics:\n%s", m.String())
	}
}

// While the hub is away the backlog grows, and the gateway's metrics
// and status say how large and how old it is.
func TestBacklogExposed(t *testing.T) {
	fh := newFakeHub(t)
	state := t.TempDir()
	c := testConfig(t, fh, prodUpstream(t).URL, state, 10*time.Second)
	c.Metrics = "127.0.0.1:0"
	gw, _ := startGateway(t, c, fh.client())
	cl := newClient(t, gw, "web", time.Now().Add(time.Hour))
	fh.set(cl.grant)
	testutil.Eventually(t, "the grant's peer", func() bool { return peerCount(t, gw) == 1 })
	fh.setDown(true)
	before := time.Now()
	for _, p := range []string{"/a", "/b", "/c"} {
		if status, _, err := cl.get(t, 0, p); err != nil || status != 200 {
			t.Fatalf("GET %s: %d %v", p, status, err)
		}
	}
	b, err := gw.spool.backlog()
	// The three operations were recorded with the hub away; how many
	// connections carried them (and so how many connect records) is the
	// HTTP client's choice.
	if err != nil || b.Records < 3 || b.Bytes == 0 || b.Oldest.Before(before.Add(-time.Second)) || b.Oldest.After(time.Now()) {
		t.Fatalf("backlog %+v, %v; want at least the 3 operations since %v", b, err, before)
	}
	var m bytes.Buffer
	gw.writeMetrics(&m)
	if strings.Contains(m.String(), "devenv_gateway_audit_backlog_records 0\n") || !strings.Contains(m.String(), "devenv_gateway_audit_backlog_oldest_seconds") {
		t.Errorf("metrics with a backlog:\n%s", m.String())
	}
	st, err := ReadStatus(c)
	if err != nil || st.Backlog.Records < b.Records || len(st.Grants) != 1 || st.LastContact.IsZero() {
		t.Errorf("status %+v, %v", st, err)
	}
	fh.setDown(false)
	testutil.Eventually(t, "the backlog delivered", func() bool {
		b, err := gw.spool.backlog()
		return err == nil && b.Records == 0
	})
}

// lockedLog collects log lines from several goroutines.
type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
