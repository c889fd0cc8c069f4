package gateway

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/clock/clocktest"
	"github.com/devenv-dev/devenv/internal/testutil"
)

// A gateway restarted while the hub is away serves its saved grants only
// for what is left of the grace since its last contact with the hub, which
// it saved; with that contact older than the grace it serves none until
// the hub confirms them.
func TestRestartGraceFromLastContact(t *testing.T) {
	hub := newFakeHub(t)
	state := t.TempDir()
	c := testConfig(t, hub, prodUpstream(t).URL, state, 3*time.Second)
	clk := clocktest.New(time.Now()) // the grace runs out when the test says, however slow the machine
	start := func() (*Gateway, func()) {
		return startGatewayWith(t, Options{Config: c, Hub: hub.client(), Clock: clk})
	}
	gw, stop := start()
	cl := newClient(t, gw, "web", clk.Now().Add(time.Hour))
	hub.set(cl.grant)
	testutil.Eventually(t, "the grant's peer", func() bool { return peerCount(t, gw) == 1 })
	stop()
	stopped := clk.Now()
	saved, err := loadContact(state)
	if err != nil || saved.IsZero() || stopped.Sub(saved) > time.Second {
		t.Fatalf("the contact saved at the stop is %v (%v), want within 1 s before %v", saved, err, stopped)
	}

	// The gateway last heard from the hub 2 s ago (it crashed, say); the
	// hub is away. One second of grace is left, not three.
	hub.setDown(true)
	contact := clk.Now().Add(-2 * time.Second)
	writeContact(t, state, contact)
	gw2, stop2 := start()
	testutil.Eventually(t, "the restored peer", func() bool { return peerCount(t, gw2) == 1 })
	cl.renew(t, gw2)
	cut := cl.stream(t)
	clk.Set(contact.Add(c.Grace + time.Second))
	testutil.Receive(t, "the stream cut once the grace from the saved contact ran out", cut)
	stop2()
	if again, _ := loadContact(state); !again.Equal(contact.Truncate(0)) {
		t.Errorf("a gateway that never reached the hub saved the contact %v, want it left at %v", again, contact)
	}

	// Restarted again, still without the hub: the contact is older than
	// the grace, so the saved grant is not served.
	gw3, _ := start()
	if n := peerCount(t, gw3); n != 0 {
		t.Errorf("%d peers from saved grants past the grace since the last contact", n)
	}
	cl.renew(t, gw3)
	if _, _, err := cl.get(t, 0, "/"); err == nil {
		t.Error("a saved grant was served past the grace since the last contact with the hub")
	}
	hub.setDown(false)
	testutil.Eventually(t, "the grant confirmed by the hub", func() bool { return peerCount(t, gw3) == 1 })
	cl.renew(t, gw3)
	if status, _, err := cl.get(t, 0, "/"); err != nil || status != 200 {
		t.Errorf("after the hub confirmed the grant: %d %v", status, err)
	}
}

func writeContact(t *testing.T, dir string, at time.Time) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, contactFile), []byte(at.UTC().Format(time.RFC3339Nano)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}
