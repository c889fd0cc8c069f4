package hub

import (
	"slices"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

func TestAccessExpiry(t *testing.T) {
	t.Parallel()
	ah := startAccessHub(t, Options{})
	r := ah.granted(t, "prod-db", 1500*time.Millisecond)
	cur, err := ah.gatewayGrants(t, 0)
	if err != nil || len(cur.Grants) != 1 {
		t.Fatalf("gateway grants before the deadline: %+v, %v", cur, err)
	}
	gg, err := ah.gatewayGrants(t, cur.Version) // long-polls until the expiry
	heard := time.Now()
	if err != nil || len(gg.Grants) != 0 {
		t.Fatalf("gateway grants after the deadline: %+v, %v", gg, err)
	}
	if late := heard.Sub(r.NotAfter); late < 0 || late > 500*time.Millisecond {
		t.Errorf("the gateway heard of the expiry %v after the deadline", late)
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
	if last := recs[len(recs)-1]; last.Time.Before(r.NotAfter) || last.Actor != "hub" {
		t.Errorf("expire record %+v, deadline %v", last, r.NotAfter)
	}
}

func TestAccessRestartKeepsRequestsGrantsAndDeadlines(t *testing.T) {
	t.Parallel()
	ah := startAccessHub(t, Options{RequestWindow: time.Hour})
	long := ah.granted(t, "prod-db", time.Hour)
	short := ah.granted(t, "prod-db", time.Second)         // falls due while the hub is down
	later := ah.granted(t, "db-ro", 2500*time.Millisecond) // falls due after the restart
	pending := ah.mustRequest(t, "alice", "prod-db", time.Hour)
	if err := ah.Close(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(short.NotAfter.Add(50 * time.Millisecond)))

	ah = ah.reopen(t, Options{RequestWindow: time.Hour})
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
	waitFor(t, time.Until(later.NotAfter)+time.Second, "the grant did not expire after the restart", func() bool {
		rs := ah.list(t, "alice", "mine")
		i := slices.IndexFunc(rs, func(r hubapi.Request) bool { return r.ID == later.ID })
		return rs[i].State == hubapi.StateExpired
	})
	if late := time.Since(later.NotAfter); late > 500*time.Millisecond {
		t.Errorf("expired %v after its deadline", late)
	}
	recs := ah.auditRecords(t)
	if got := actions(recs, short.ID); !slices.Equal(got, []string{"request", "approve", "grant", "expire"}) {
		t.Errorf("audit of the grant that fell due while down: %v", got)
	}
}
