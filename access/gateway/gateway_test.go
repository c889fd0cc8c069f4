package gateway

import (
	"bufio"
	"errors"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/clock/clocktest"
	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/wg"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

func TestGrantLifecycle(t *testing.T) {
	hub := newFakeHub(t)
	up := prodUpstream(t)
	// The grace outlasts the grant: the clock's jump to the deadline must
	// not also count as the hub's absence, or the grant is cut for that.
	c := testConfig(t, hub, up.URL, t.TempDir(), 5*time.Minute)
	clk := clocktest.New(time.Now()) // the deadline comes when the test says, however slow the machine
	gw, _ := startGatewayWith(t, Options{Config: c, Hub: hub.client(), Clock: clk})
	testutil.Eventually(t, "registration", func() bool { return hub.registrations() > 0 })

	notAfter := clk.Now().Add(time.Minute)
	cl := newClient(t, gw, "web", notAfter)
	hub.set(cl.grant)
	testutil.Eventually(t, "the grant's peer", func() bool { return peerCount(t, gw) == 1 })

	status, body, err := cl.get(t, 0, "/api/dashboards")
	if err != nil || status != 200 || body != "GET /api/dashboards as Bearer prod-secret" {
		t.Fatalf("GET through the tunnel: %d %q %v", status, body, err)
	}
	resp, err := cl.http().Post(cl.url(0)+"/api/dashboards", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST: %d, want 403", resp.StatusCode)
	}

	cut := cl.stream(t)
	clk.Set(notAfter)
	testutil.Receive(t, "the stream cut at the deadline", cut)
	testutil.Eventually(t, "the peer's removal", func() bool { return peerCount(t, gw) == 0 })
	if _, _, err := cl.get(t, 0, "/"); err == nil {
		t.Error("GET after the deadline succeeded")
	}
	testutil.Eventually(t, "audit records at the hub", func() bool {
		return hasRecord(hub.records(), "operation", "refused", "POST") && hasRecord(hub.records(), "expire", "", "")
	})
	recs := hub.records()
	if !hasRecord(recs, "operation", "allowed", "GET") || !hasRecord(recs, "grant", "allowed", "") ||
		!hasRecord(recs, "connect", "allowed", "") || !hasRecord(recs, "disconnect", "", "") {
		t.Errorf("audit records at the hub: %+v", recs)
	}
	if recs[0].Actor != "gateway:prod-gw" {
		t.Errorf("actor %q", recs[0].Actor)
	}
	hub.mu.Lock()
	reg := hub.registered[0]
	hub.mu.Unlock()
	if len(reg.Targets) != 3 || reg.PublicKey != gw.PublicKey().String() || reg.Network != "100.101.0.0/16" {
		t.Errorf("registration %+v", reg)
	}
}

// hasRecord reports whether recs hold an action with a verdict ("" any)
// and, if method is set, that method.
func hasRecord(recs []hubapi.AuditRecord, action, verdict, method string) bool {
	for _, r := range recs {
		if r.Action == action && (verdict == "" || r.Verdict == verdict) && (method == "" || r.Detail["method"] == method) {
			return true
		}
	}
	return false
}

func TestRevokeCutsWithinASecond(t *testing.T) {
	hub := newFakeHub(t)
	c := testConfig(t, hub, prodUpstream(t).URL, t.TempDir(), 30*time.Second)
	gw, _ := startGateway(t, c, hub.client())
	cl := newClient(t, gw, "web", time.Now().Add(time.Hour))
	hub.set(cl.grant)
	testutil.Eventually(t, "the grant's peer", func() bool { return peerCount(t, gw) == 1 })
	cut := cl.stream(t)
	revoked := time.Now()
	hub.set()
	expectCut(t, cut, revoked, "revoke")
	testutil.Eventually(t, "the revoke record", func() bool { return hasRecord(hub.records(), "revoke", "", "") })
}

func TestRefusesOtherTargetsAndAddresses(t *testing.T) {
	hub := newFakeHub(t)
	c := testConfig(t, hub, prodUpstream(t).URL, t.TempDir(), 30*time.Second)
	gw, _ := startGateway(t, c, hub.client())
	cl := newClient(t, gw, "web", time.Now().Add(time.Hour))
	hub.set(cl.grant)
	testutil.Eventually(t, "the grant's peer", func() bool { return peerCount(t, gw) == 1 })
	if _, _, err := cl.get(t, 1, "/"); err == nil {
		t.Error("a grant for web reached target other")
	}
	// A peer the gateway knows but that holds no grant (as a stale peer
	// would) reaches the listener and is refused there.
	stray := newClient(t, gw, "web", time.Now().Add(time.Hour))
	key, _ := wgtypes.ParseKey(stray.grant.PublicKey)
	if err := gw.dev.SetPeer(wg.Peer{PublicKey: key, AllowedIPs: []netip.Prefix{netip.MustParsePrefix(stray.grant.ClientAddress)}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := stray.get(t, 0, "/"); err == nil {
		t.Error("an address without a grant reached target web")
	}
	if status, _, err := cl.get(t, 0, "/"); err != nil || status != 200 {
		t.Errorf("the granted client: %d %v", status, err)
	}
	testutil.Eventually(t, "refusal records", func() bool {
		n := 0
		for _, r := range hub.records() {
			if r.Action == "connect" && r.Verdict == "refused" {
				n++
			}
		}
		return n == 2
	})
}

// TestTCPRelayThroughTheTunnel: a raw TCP target relays through the
// tunnel, and the session ends when the grant's deadline comes, on a fake
// clock so that a slow machine cannot spend the grant before the echo.
func TestTCPRelayThroughTheTunnel(t *testing.T) {
	hub := newFakeHub(t)
	c := testConfig(t, hub, prodUpstream(t).URL, t.TempDir(), 5*time.Minute)
	clk := clocktest.New(time.Now())
	gw, _ := startGatewayWith(t, Options{Config: c, Hub: hub.client(), Clock: clk})
	notAfter := clk.Now().Add(time.Minute)
	cl := newClient(t, gw, "echo", notAfter)
	hub.set(cl.grant)
	testutil.Eventually(t, "the grant's peer", func() bool { return peerCount(t, gw) == 1 })
	conn, err := cl.dev.DialContext(t.Context(), "tcp", c.TargetAddress(2).String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(testutil.Timeout())) // a hang fails the test instead of the run
	if _, err := conn.Write([]byte("select 1\n")); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || line != "select 1\n" {
		t.Fatalf("echo through the tunnel: %q %v", line, err)
	}
	clk.Set(notAfter)
	_, err = conn.Read(make([]byte, 1))
	if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the tcp session outlived its grant: read after the deadline gave %v", err)
	}
	testutil.Eventually(t, "the disconnect record", func() bool {
		for _, r := range hub.records() {
			if r.Action == "disconnect" && r.Target == "echo" && r.Detail["bytes_in"] == "9" && r.Detail["bytes_out"] == "9" {
				return true
			}
		}
		return false
	})
}
