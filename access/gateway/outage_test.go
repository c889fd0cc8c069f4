package gateway

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/clock/clocktest"
	"github.com/devenv-dev/devenv/internal/testutil"
)

// With the hub gone, deadlines still cut; after the grace every grant is
// cut; when the hub answers again its grants are enforced again.
// TestHubUnreachable: with the hub away, deadlines hold, and the gateway
// fails closed once the grace has passed since the hub last answered, not
// before. The gateway's clock is a fake one the test moves: each check of
// the hub's absence reports back, so nothing waits on the wall clock.
func TestHubUnreachable(t *testing.T) {
	hub := newFakeHub(t)
	clk := clocktest.New(time.Now())
	checked := make(chan bool, 64)
	c := testConfig(t, hub, prodUpstream(t).URL, t.TempDir(), 30*time.Second)
	gw, _ := startGatewayWith(t, Options{Config: c, Hub: hub.client(), Clock: clk, watched: func(lost bool) { checked <- lost }})
	short := newClient(t, gw, "web", clk.Now().Add(10*time.Second))
	long := newClient(t, gw, "web", clk.Now().Add(time.Hour))
	hub.set(short.grant, long.grant)
	testutil.Eventually(t, "both peers", func() bool { return peerCount(t, gw) == 2 })
	shortCut, longCut := short.stream(t), long.stream(t)
	hub.setDown(true)
	// The long-poll that the hub drops counts as contact up to its end:
	// the last contact is known once the gateway has given it up.
	hub.waitGatewayGaveUp(t)
	lastContact := gw.lastHubContact()
	advance := func(to time.Time) bool { // moves the clock to the time and returns that check's verdict
		t.Helper()
		for len(checked) > 0 {
			<-checked
		}
		clk.Set(to)
		return testutil.Receive(t, "the gateway's check of the hub's absence after the clock moved", checked)
	}

	if advance(short.grant.NotAfter) {
		t.Fatal("the hub counted as lost 10 s into a 30 s grace")
	}
	testutil.Receive(t, "the short grant cut at its deadline, with the hub away", shortCut)
	if lost := advance(lastContact.Add(c.Grace - time.Second)); lost || len(longCut) > 0 {
		t.Fatalf("a second before the grace ended: lost %v, the long grant cut %v", lost, len(longCut) > 0)
	}
	if !advance(lastContact.Add(c.Grace + time.Second)) {
		t.Fatal("the gateway still trusts its grants a second after the grace ended")
	}
	testutil.Receive(t, "the long grant cut once the gateway failed closed", longCut)
	testutil.Eventually(t, "no peers", func() bool { return peerCount(t, gw) == 0 })
	if _, _, err := long.get(t, 0, "/"); err == nil {
		t.Error("a grant worked while the gateway had failed closed")
	}

	hub.setDown(false)
	testutil.Eventually(t, "the grant again", func() bool { return peerCount(t, gw) == 1 })
	long.renew(t, gw)
	if status, _, err := long.get(t, 0, "/"); err != nil || status != 200 {
		t.Errorf("after the hub's return: %d %v", status, err)
	}
}

// A restarted gateway enforces the grants it had, with their deadlines,
// even before the hub answers; audit records wait on disk for the hub and
// none is lost across the restart. The deadline is on a fake clock: the
// test moves it rather than race a short grant on a loaded machine.
func TestRestartKeepsGrantsAndAudit(t *testing.T) {
	hub := newFakeHub(t)
	state := t.TempDir()
	clk := clocktest.New(time.Now())
	c := testConfig(t, hub, prodUpstream(t).URL, state, 10*time.Second)
	gw, stop := startGatewayWith(t, Options{Config: c, Hub: hub.client(), Clock: clk})
	cl := newClient(t, gw, "web", clk.Now().Add(5*time.Second))
	hub.set(cl.grant)
	testutil.Eventually(t, "the grant's peer", func() bool { return peerCount(t, gw) == 1 })
	hub.setDown(true)
	if status, _, err := cl.get(t, 0, "/first-run"); err != nil || status != 200 {
		t.Fatalf("GET before the restart: %d %v", status, err)
	}
	stop()
	if fi, err := os.Stat(filepath.Join(state, auditFile)); err != nil || fi.Size() == 0 {
		t.Fatalf("no audit records buffered on disk: %v", err)
	}

	gw2, _ := startGatewayWith(t, Options{Config: c, Hub: hub.client(), Clock: clk})
	if gw2.PublicKey() != gw.PublicKey() {
		t.Fatal("the gateway's key changed across the restart")
	}
	testutil.Eventually(t, "the restored peer", func() bool { return peerCount(t, gw2) == 1 })
	cl.renew(t, gw2)
	clk.Set(cl.grant.NotAfter.Add(-time.Second))
	if status, _, err := cl.get(t, 0, "/second-run"); err != nil || status != 200 {
		t.Fatalf("GET a second before the deadline, after the restart: %d %v", status, err)
	}
	cut := cl.stream(t)
	clk.Set(cl.grant.NotAfter)
	testutil.Receive(t, "the stream cut at the deadline after a restart", cut)
	if hasPath(hub.records(), "/first-run") {
		t.Fatal("the hub got records while down")
	}

	hub.setDown(false)
	testutil.Eventually(t, "the buffered records at the hub", func() bool {
		return hasPath(hub.records(), "/first-run") && hasPath(hub.records(), "/second-run") &&
			hasRecord(hub.records(), "expire", "", "")
	})
	testutil.Eventually(t, "an empty spool", func() bool { return gw2.spool.pending() == 0 })
}

// TestRestartDropsExpiredGrants: a gateway down past a grant's deadline
// (on a fake clock, within the grace) restores the grants still running
// and drops the one that ended.
func TestRestartDropsExpiredGrants(t *testing.T) {
	hub := newFakeHub(t)
	clk := clocktest.New(time.Now())
	c := testConfig(t, hub, prodUpstream(t).URL, t.TempDir(), 10*time.Second)
	gw, stop := startGatewayWith(t, Options{Config: c, Hub: hub.client(), Clock: clk})
	ended := newClient(t, gw, "web", clk.Now().Add(5*time.Second))
	live := newClient(t, gw, "web", clk.Now().Add(time.Hour))
	hub.set(ended.grant, live.grant)
	testutil.Eventually(t, "the grants' peers", func() bool { return peerCount(t, gw) == 2 })
	hub.setDown(true)
	stop()
	clk.Advance(6 * time.Second)
	gw2, _ := startGatewayWith(t, Options{Config: c, Hub: hub.client(), Clock: clk})
	peers, err := gw2.dev.Peers()
	if err != nil {
		t.Fatal(err)
	}
	if len(peers) != 1 || peers[0].PublicKey.String() != live.grant.PublicKey {
		t.Errorf("peers after restarting past one deadline: %+v; want only the running grant's %s", peers, live.grant.PublicKey)
	}
}
