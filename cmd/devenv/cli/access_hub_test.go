package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/vpn"
	"github.com/devenv-dev/devenv/vpn/hub/hubtest"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
	"github.com/devenv-dev/devenv/vpn/wg"
)

// lockedBuffer is a bytes.Buffer a running command writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer // guarded by mu
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// joinAs adds a user with a role to the hub and joins a state directory as
// their device.
func joinAs(t *testing.T, h *hubtest.Hub, user string, role hubapi.Role) string {
	t.Helper()
	inv := h.Invite(t, user, role)
	dir := t.TempDir()
	if _, errs, code := runCLI(t, t.TempDir(), "vpn", "--state-dir", dir, "join", inv, "--name", user+"-laptop"); code != 0 {
		t.Fatalf("join as %s: %s", user, errs)
	}
	return dir
}

// miniGateway registers target api with the hub and plays its gateway: a
// netstack device with an HTTP server on the target's tunnel address,
// whose peers are the hub's grants when sync is called.
type miniGateway struct {
	hub *hubclient.Client
	dev wg.NetstackDevice
}

func startMiniGateway(t *testing.T, h *hubtest.Hub, st vpn.State) *miniGateway {
	t.Helper()
	created, err := h.AddGateway("gw1")
	if err != nil {
		t.Fatal(err)
	}
	key, _ := wgtypes.GeneratePrivateKey()
	d, err := wg.Open(wg.Options{Backend: wg.BackendNetstack, Config: wg.Config{PrivateKey: key,
		Address: netip.MustParsePrefix("100.101.0.1/32")}})
	if err != nil {
		t.Fatal(err)
	}
	port := d.ListenPort()
	t.Cleanup(func() { d.Close() })
	gw := &miniGateway{hub: hubclient.New(st.HubURL, st.Fingerprint, created.Token), dev: d.(wg.NetstackDevice)}
	_, err = gw.hub.RegisterTargets(t.Context(), hubapi.RegisterTargets{PublicKey: key.PublicKey().String(),
		Endpoint: fmt.Sprintf("127.0.0.1:%d", port), Network: "100.101.0.0/24",
		Targets: []hubapi.Target{{Name: "api", Protocol: hubapi.ProtocolHTTP, MaxTTL: time.Hour}}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := gw.dev.Listen("tcp", fmt.Sprintf("100.101.0.1:%d", hubapi.TargetPortBase))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "hello from production")
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return gw
}

// sync makes every active grant a peer.
func (gw *miniGateway) sync(t *testing.T) {
	t.Helper()
	gg, err := gw.hub.GatewayGrants(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gg.Grants {
		k, _ := wgtypes.ParseKey(g.PublicKey)
		if err := gw.dev.SetPeer(wg.Peer{PublicKey: k, AllowedIPs: []netip.Prefix{netip.MustParsePrefix(g.ClientAddress)}}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAccessFlowAgainstTheRealHub: request, refusals, approval, connect
// and a GET through the tunnel, revocation ending connect, and an audit
// trail that verifies, all through the CLI against the hub in process.
func TestAccessFlowAgainstTheRealHub(t *testing.T) {
	h, _ := testHub(t)
	ann := joinAs(t, h, "ann", hubapi.RoleDeveloper)
	bob := joinAs(t, h, "bob", hubapi.RoleApprover)
	st, _ := vpn.LoadState(ann)
	gw := startMiniGateway(t, h, st)

	if out, errs, code := runAccess(t, ann, "targets"); code != 0 || !strings.Contains(out, "api   http      1h") {
		t.Fatalf("targets: exit %d\n%s%s", code, out, errs)
	}
	out, errs, code := runAccess(t, ann, "request", "api", "--for", "10m", "--reason", "bug 1234")
	id := strings.TrimSpace(out)
	if code != 0 || id == "" {
		t.Fatalf("request: exit %d: %s", code, errs)
	}
	if out := runAccessOut(t, ann, "list", "--mine"); !strings.Contains(out, id+"  api     ann        pending") {
		t.Errorf("ann's list --mine:\n%s", out)
	}
	if out := runAccessOut(t, bob, "list", "--mine"); strings.Contains(out, id) {
		t.Errorf("bob's list --mine shows ann's request:\n%s", out)
	}
	if _, errs, code := runAccess(t, ann, "approve", id); code != 1 || !strings.HasPrefix(errs, "devenv: approving "+id+": hub: ") ||
		strings.Count(errs, "\n") != 1 {
		t.Errorf("self-approval by a developer: exit %d: %q", code, errs)
	}
	if out := runAccessOut(t, bob, "list", "--pending"); !strings.Contains(out, id) {
		t.Errorf("bob's pending list lacks %s:\n%s", id, out)
	}
	if got := complete(t, t.TempDir(), "access", "--state-dir", bob, "approve", ""); !slices.Equal(got, []string{id}) {
		t.Errorf("bob's completion of approve: %q, want %s", got, id)
	}
	if got := complete(t, t.TempDir(), "access", "--state-dir", ann, "request", ""); !slices.Equal(got, []string{"api"}) {
		t.Errorf("ann's completion of request: %q, want api", got)
	}
	if _, errs, code := runAccess(t, bob, "approve", id, "--for", "5m"); code != 0 || !strings.Contains(errs, ": approved") {
		t.Fatalf("approve: exit %d: %s", code, errs)
	}
	gw.sync(t)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var cout, cerr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"access", "--state-dir", ann, "connect", "api"}, strings.NewReader(""), &cout, &cerr)
	}()
	listen := waitLine(t, &cout, &cerr)
	if got := get(t, "http://"+listen+"/"); got != "hello from production\n" {
		t.Errorf("GET through the tunnel = %q", got)
	}
	if _, errs, code := runAccess(t, bob, "revoke", id); code != 0 {
		t.Fatalf("revoke: %s", errs)
	}
	select {
	case code := <-done:
		if code != ExitAccessEnded || !strings.Contains(cerr.String(), "the grant was revoked by bob") {
			t.Errorf("connect after revoke: exit %d: %s", code, cerr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("connect still running 5 s after the revocation: %s", cerr.String())
	}
	if out, errs, code := runAccess(t, bob, "audit", "--verify"); code != 0 || !strings.HasPrefix(out, "OK: ") {
		t.Errorf("audit --verify: exit %d: %s%s", code, out, errs)
	}
}

func runAccessOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, _, _ := runAccess(t, dir, args...)
	return out
}

// waitLine waits for the first line on out: connect's listen address.
func waitLine(t *testing.T, out, errs *lockedBuffer) string {
	t.Helper()
	var line string
	testutil.EventuallyNoError(t, "connect to print its address", func() error {
		var ok bool
		if line, _, ok = strings.Cut(out.String(), "\n"); !ok {
			return fmt.Errorf("no line yet; its errors: %s", errs.String())
		}
		return nil
	})
	return line
}

func get(t *testing.T, url string) string {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return b.String()
}
