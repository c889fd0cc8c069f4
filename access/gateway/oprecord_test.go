package gateway

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/clock/clocktest"
	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// Every proxied HTTP request gets its operation record, whatever ends it:
// the grant's deadline or revocation in the middle of a long GET, the
// client going away, or the upstream breaking off; the record says how it
// ended, and the hub receives it.
func TestHTTPOperationRecordedWhateverEndsIt(t *testing.T) {
	hub := newFakeHub(t)
	// A grace longer than the jump to the deadline: the cut is the deadline's.
	c := testConfig(t, hub, prodUpstream(t).URL, t.TempDir(), 5*time.Minute)
	clk := clocktest.New(time.Now())
	gw, _ := startGatewayWith(t, Options{Config: c, Hub: hub.client(), Clock: clk})
	expiring := newClient(t, gw, "web", clk.Now().Add(time.Minute))
	revoked := newClient(t, gw, "web", clk.Now().Add(time.Hour))
	other := newClient(t, gw, "web", clk.Now().Add(time.Hour))
	hub.set(expiring.grant, revoked.grant, other.grant)
	testutil.Eventually(t, "the peers", func() bool { return peerCount(t, gw) == 3 })

	// The client goes away in the middle of a stream.
	ctx, leave := context.WithCancel(t.Context())
	req, _ := http.NewRequestWithContext(ctx, "GET", other.url(0)+"/stream", nil)
	resp, err := other.http().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadFull(resp.Body, make([]byte, 10))
	leave()
	resp.Body.Close()
	// The upstream breaks off midway.
	if _, _, err := other.get(t, 0, "/break"); err == nil {
		t.Error("a response the upstream broke off arrived whole")
	}

	expiringCut, revokedCut := expiring.stream(t), revoked.stream(t)
	hub.set(expiring.grant, other.grant)
	testutil.Receive(t, "the revoked grant's stream cut", revokedCut)
	clk.Set(expiring.grant.NotAfter)
	testutil.Receive(t, "the expiring grant's stream cut at its deadline", expiringCut)

	want := map[string]string{
		expiring.grant.RequestID: "deadline",
		revoked.grant.RequestID:  "revoked",
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, r := range hub.records() {
				t.Logf("%s %s %s %v", r.Action, r.RequestID, r.Verdict, r.Detail)
			}
		}
	})
	testutil.Eventually(t, "the operation records at the hub", func() bool {
		recs := hub.records()
		for id, cause := range want {
			if findOp(recs, id, "/stream", cause) == nil {
				return false
			}
		}
		return findOp(recs, other.grant.RequestID, "/stream", "client went away") != nil &&
			findOp(recs, other.grant.RequestID, "/break", "") != nil
	})
	if op := findOp(hub.records(), other.grant.RequestID, "/break", ""); op.Detail["outcome"] == "" {
		t.Errorf("the broken-off response's record says nothing of how it ended: %v", op.Detail)
	}
	// An operation cut by its grant's end is recorded before the
	// connection's disconnect.
	recs := hub.records()
	for i, r := range recs {
		if r.RequestID == expiring.grant.RequestID && r.Action == "disconnect" && findOp(recs[:i], r.RequestID, "/stream", "deadline") == nil {
			t.Errorf("the disconnect of %s came before its operation's record", r.RequestID)
		}
	}
}

// findOp is the operation record of request id on path whose outcome
// contains outcome, or nil.
func findOp(recs []hubapi.AuditRecord, id, path, outcome string) *hubapi.AuditRecord {
	for i, r := range recs {
		if r.Action == "operation" && r.RequestID == id && r.Detail["path"] == path && strings.Contains(r.Detail["outcome"], outcome) {
			return &recs[i]
		}
	}
	return nil
}
