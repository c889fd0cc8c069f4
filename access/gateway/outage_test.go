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
	lastContact := gw.lastHubContact()
	advance := func(to time.Time) bool { // moves the clock to the time and returns that check's verdict
		t.Helper()
		for len(checked) > 0 {
			<-checked
		}
		clk.Set(to)
		select {
		case lost := <-checked:
			return lost
		case <-time.After(30 * time.Second):
			t.Fatal("the gateway did not check the hub's absence after the clock moved")
			return false
		}
	}

	if advance(short.grant.NotAfter) {
		t.Fatal("the hub counted as lost 10 s into a 30 s grace")
	}
	waitCut(t, shortCut, "the short grant at its deadline, with the hub away")
	if lost := advance(lastContact.Add(c.Grace - time.Second)); lost || len(longCut) > 0 {
		t.Fatalf("a second before the grace ended: lost %v, the long grant cut %v", lost, len(longCut) > 0)
	}
	if !advance(lastContact.Add(c.Grace + time.Second)) {
		t.Fatal("the gateway still trusts its grants a second after the grace ended")
	}
	waitCut(t, longCut, "the long grant once the gateway failed closed")
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

// waitCut waits for a stream to be cut, however long a loaded machine
// takes to do it.
func waitCut(t *testing.T, cut <-chan time.Time, what string) {
	t.Helper()
	select {
	case <-cut:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: the stream is still live", what)
	}
}

// A restarted gateway enforces the grants it had, with their deadlines,
// even before the hub answers; audit records wait on disk for the hub and
// none is lost across the restart.
func TestRestartKeepsGrantsAndAudit(t *testing.T) {
	hub := newFakeHub(t)
	state := t.TempDir()
	c := testConfig(t, hub, prodUpstream(t).URL, state, 10*time.Second)
	gw, stop := startGateway(t, c, hub.client())
	cl := newClient(t, gw, "web", time.Now().Add(2500*time.Millisecond))
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

	gw2, _ := startGateway(t, c, hub.client())
	if gw2.PublicKey() != gw.PublicKey() {
		t.Fatal("the gateway's key changed across the restart")
	}
	testutil.Eventually(t, "the restored peer", func() bool { return peerCount(t, gw2) == 1 })
	cl.renew(t, gw2)
	if status, _, err := cl.get(t, 0, "/second-run"); err != nil || status != 200 {
		t.Fatalf("GET after the restart: %d %v", status, err)
	}
	cut := cl.stream(t)
	expectCut(t, cut, cl.grant.NotAfter, "deadline after a restart")
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

func TestRestartDropsExpiredGrants(t *testing.T) {
	hub := newFakeHub(t)
	state := t.TempDir()
	c := testConfig(t, hub, prodUpstream(t).URL, state, 10*time.Second)
	gw, stop := startGateway(t, c, hub.client())
	cl := newClient(t, gw, "web", time.Now().Add(300*time.Millisecond))
	hub.set(cl.grant)
	testutil.Eventually(t, "the grant's peer", func() bool { return peerCount(t, gw) == 1 })
	hub.setDown(true)
	stop()
	time.Sleep(time.Until(cl.grant.NotAfter) + 50*time.Millisecond)
	gw2, _ := startGateway(t, c, hub.client())
	if n := peerCount(t, gw2); n != 0 {
		t.Errorf("%d peers after restarting past the deadline", n)
	}
}
