package accesshub

import (
	"slices"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/clock/clocktest"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// TestAccessExpiry: at a grant's deadline on the hub's clock, and not
// before, the gateways hear it is gone, its request is expired and the
// audit says so. The clock is a fake one the test moves.
func TestAccessExpiry(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(time.Now())
	ah := startAccessHub(t, testOptions{Clock: clk})
	r := ah.granted(t, "prod-db", time.Hour)
	answer := ah.pollGateway(t)
	clk.Set(r.NotAfter.Add(-time.Millisecond))
	if got := ah.list(t, "alice", "mine"); got[0].State != hubapi.StateApproved {
		t.Fatalf("a millisecond before its deadline: %+v", got[0])
	}
	clk.Set(r.NotAfter)
	if gg := receiveGrants(t, answer, 30*time.Second); len(gg.Grants) != 0 {
		t.Fatalf("gateway grants after the deadline: %+v", gg)
	}
	if got := ah.list(t, "alice", "mine"); got[0].State != hubapi.StateExpired {
		t.Errorf("request after its deadline: %+v", got[0])
	}
	if _, err := ah.grant(t, "alice", r.ID, false); errCode(err) != "grant_ended" {
		t.Errorf("grant after expiry: %v", err)
	}
	recs := ah.auditRecords(t)
	if got := actions(recs, r.ID); !slices.Equal(got, []string{"request", "approve", "grant", "expire"}) {
		t.Errorf("audit: %v", got)
	}
	if last := recs[len(recs)-1]; !last.Time.Equal(r.NotAfter) || last.Actor != "hub" {
		t.Errorf("expire record %+v, deadline %v", last, r.NotAfter)
	}
}

func TestAccessRestartKeepsRequestsGrantsAndDeadlines(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(time.Now())
	ah := startAccessHub(t, testOptions{RequestWindow: time.Hour, Clock: clk})
	long := ah.granted(t, "prod-db", time.Hour)
	short := ah.granted(t, "prod-db", time.Minute)  // falls due while the hub is down
	later := ah.granted(t, "db-ro", 10*time.Minute) // falls due after the restart
	pending := ah.mustRequest(t, "alice", "prod-db", time.Hour)
	if err := ah.Close(); err != nil {
		t.Fatal(err)
	}
	clk.Set(short.NotAfter.Add(time.Second))

	ah = ah.reopen(t, testOptions{RequestWindow: time.Hour, Clock: clk})
	byID := map[string]hubapi.Request{}
	for _, r := range ah.list(t, "alice", "mine") {
		byID[r.ID] = r
	}
	if r := byID[long.ID]; r.State != hubapi.StateApproved || !r.NotAfter.Equal(long.NotAfter) {
		t.Errorf("long grant after the restart: %+v", r)
	}
	if r := byID[short.ID]; r.State != hubapi.StateExpired {
		t.Errorf("grant that fell due while the hub was down: %+v", r)
	}
	if r := byID[pending.ID]; r.State != hubapi.StatePending {
		t.Errorf("pending request after the restart: %+v", r)
	}
	gg, err := ah.gatewayGrants(t, 0)
	if err != nil || len(gg.Grants) != 2 {
		t.Fatalf("gateway grants after the restart: %+v, %v", gg, err)
	}
	if _, err := ah.approve(t, "bob", pending.ID, 0); err != nil {
		t.Errorf("approving a request made before the restart: %v", err)
	}
	answer := ah.pollGateway(t)
	clk.Set(later.NotAfter)
	receiveGrants(t, answer, 30*time.Second)
	rs := ah.list(t, "alice", "mine")
	if i := slices.IndexFunc(rs, func(r hubapi.Request) bool { return r.ID == later.ID }); rs[i].State != hubapi.StateExpired {
		t.Errorf("the grant re-armed at the restart did not expire at its deadline: %+v", rs[i])
	}
	recs := ah.auditRecords(t)
	if got := actions(recs, short.ID); !slices.Equal(got, []string{"request", "approve", "grant", "expire"}) {
		t.Errorf("audit of the grant that fell due while down: %v", got)
	}
}
