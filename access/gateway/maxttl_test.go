package gateway

import (
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/testutil"
)

// TestGrantCappedAtMaxTTL: the hub says a grant on web (max_ttl 1h in the
// gateway's config) lasts 100 hours; the gateway enforces at most an hour,
// and its audit record says the deadline it enforces.
func TestGrantCappedAtMaxTTL(t *testing.T) {
	hub := newFakeHub(t)
	c := testConfig(t, hub, prodUpstream(t).URL, t.TempDir(), 30*time.Second)
	gw, _ := startGateway(t, c, hub.client())
	armed := time.Now()
	cl := newClient(t, gw, "web", armed.Add(100*time.Hour))
	hub.set(cl.grant)
	testutil.Eventually(t, "the grant's peer", func() bool { return peerCount(t, gw) == 1 })
	gw.mu.Lock()
	a := gw.grants[cl.grant.RequestID]
	gw.mu.Unlock()
	if a == nil {
		t.Fatal("the grant is not active")
	}
	deadline, ok := a.ctx.Deadline()
	if limit := time.Now().Add(time.Hour); !ok || deadline.After(limit) || a.NotAfter.After(limit) {
		t.Errorf("a 100 h grant on a target with max_ttl 1h: enforced until %v (NotAfter %v), want at most %v", deadline, a.NotAfter, limit)
	}
	testutil.Eventually(t, "the grant's audit record with the capped deadline", func() bool {
		for _, r := range hub.records() {
			if r.Action == "grant" && r.RequestID == cl.grant.RequestID {
				at, err := time.Parse(time.RFC3339Nano, r.Detail["not_after"])
				return err == nil && !at.After(time.Now().Add(time.Hour))
			}
		}
		return false
	})
}
