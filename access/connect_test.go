package access

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/internal/clock/clocktest"
	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/wg"
)

const (
	gwAddr     = "100.101.0.1"
	clientAddr = "100.101.0.9"
	targetAddr = gwAddr + ":10000"
)

// gatewayStandIn is a netstack WireGuard device playing the gateway: its
// one peer is the grant's client key, and an HTTP server listens on its
// tunnel address. It returns the gateway part of a grant.
func gatewayStandIn(t *testing.T, client wgtypes.Key, handler http.Handler) hubapi.Gateway {
	t.Helper()
	key, _ := wgtypes.GeneratePrivateKey()
	d, err := wg.Open(wg.Options{Backend: wg.BackendNetstack, Config: wg.Config{
		PrivateKey: key, Address: netip.MustParsePrefix(gwAddr + "/32")}})
	if err != nil {
		t.Fatal(err)
	}
	port := d.ListenPort()
	t.Cleanup(func() { d.Close() })
	if err := d.SetPeer(wg.Peer{PublicKey: client, AllowedIPs: []netip.Prefix{netip.MustParsePrefix(clientAddr + "/32")}}); err != nil {
		t.Fatal(err)
	}
	l, err := d.(wg.NetstackDevice).Listen("tcp", targetAddr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: handler}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return hubapi.Gateway{Name: "gw", PublicKey: key.PublicKey().String(), Endpoint: fmt.Sprintf("127.0.0.1:%d", port),
		Address: gwAddr + "/32", TargetAddress: targetAddr}
}

// grantedHub is a fake hub with one approved request of the caller, its key
// in dir, granted until notAfter, through a gateway stand-in serving handler.
func grantedHub(t *testing.T, dir string, notAfter time.Time, handler http.Handler) (*fakeHub, hubapi.Request) {
	t.Helper()
	h := &fakeHub{grants: map[string]hubapi.Grant{}}
	r, err := Request(t.Context(), RequestOptions{Hub: h, Dir: dir, Target: "api", For: time.Minute, Reason: "x"})
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := wgtypes.ParseKey(h.sent[0].PublicKey)
	h.set(r.ID, func(r *hubapi.Request) { r.State, r.NotAfter = hubapi.StateApproved, notAfter })
	h.grants[r.ID] = hubapi.Grant{RequestID: r.ID, Target: "api", Protocol: hubapi.ProtocolHTTP, PublicKey: pub.String(),
		ClientAddress: clientAddr + "/32", NotAfter: notAfter, Gateway: gatewayStandIn(t, pub, handler)}
	return h, r
}

// connect runs Connect in the background and returns the address it
// listens on and its result.
func connect(t *testing.T, o ConnectOptions) (string, <-chan error) {
	t.Helper()
	up := make(chan string, 1)
	o.OnEvent = func(e Event) {
		if e.Kind == EventUp {
			up <- e.Listen
		}
	}
	done := make(chan error, 1)
	go func() { done <- Connect(t.Context(), o) }()
	select {
	case l := <-up:
		return l, done
	case err := <-done:
		t.Fatalf("connect: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("connect: not up after 5 s")
	}
	return "", nil
}

func hello(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/stream" {
		w.WriteHeader(http.StatusOK)
		for {
			if _, err := io.WriteString(w, "tick\n"); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	io.WriteString(w, "hello from production\n")
}

func get(t *testing.T, url string) string {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestConnectForwardsUntilTheDeadline(t *testing.T) {
	dir := t.TempDir()
	clk := clocktest.New(time.Now()) // the deadline comes when the test says, however slow the machine
	notAfter := clk.Now().Add(time.Minute)
	h, r := grantedHub(t, dir, notAfter, http.HandlerFunc(hello))
	listen, done := connect(t, ConnectOptions{Hub: h, Dir: dir, Ref: "api", Port: AnyPort, Clock: clk})
	if got := get(t, "http://"+listen+"/"); got != "hello from production\n" {
		t.Errorf("GET through the tunnel = %q", got)
	}
	// A live streaming connection is cut at the deadline too.
	resp, err := http.Get("http://" + listen + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	streamEnd := make(chan struct{}, 1)
	go func() { _, _ = io.Copy(io.Discard, resp.Body); streamEnd <- struct{}{} }()

	clk.Set(notAfter.Add(-time.Second))
	if got := get(t, "http://"+listen+"/"); got != "hello from production\n" {
		t.Errorf("GET a second before the deadline = %q", got)
	}
	clk.Set(notAfter)
	err = testutil.Receive(t, "Connect's return at the deadline", done)
	if !errors.Is(err, ErrExpired) || !strings.Contains(err.Error(), "access to api ended at ") ||
		!strings.HasSuffix(err.Error(), ": the grant expired") {
		t.Errorf("Connect = %v, want the expired message", err)
	}
	testutil.Receive(t, "the end of the streaming connection with the grant", streamEnd)
	if _, err := net.DialTimeout("tcp", listen, time.Second); err == nil {
		t.Errorf("%s still accepts connections", listen)
	}
	if keys, _ := NewKeyStore(dir); keys.Has(r.ID) {
		t.Error("the expired grant's key was kept")
	}
}

func TestConnectEndsOnRevocation(t *testing.T) {
	dir := t.TempDir()
	h, r := grantedHub(t, dir, time.Now().Add(time.Minute), http.HandlerFunc(hello))
	listen, done := connect(t, ConnectOptions{Hub: h, Dir: dir, Ref: r.ID, Poll: 50 * time.Millisecond, Port: AnyPort})
	_ = get(t, "http://"+listen+"/")
	decided := time.Now().Truncate(time.Second)
	h.set(r.ID, func(r *hubapi.Request) { r.State, r.Approver, r.Decided = hubapi.StateRevoked, "bob", decided })
	select {
	case err := <-done:
		want := fmt.Sprintf("access to api ended at %s: the grant was revoked by bob", decided.Format("15:04:05"))
		if !errors.Is(err, ErrRevoked) || err.Error() != want {
			t.Errorf("Connect = %v, want %q", err, want)
		}
	case <-time.After(testutil.Scaled(time.Second)):
		t.Fatal("Connect still running 1 s after the revocation") // how soon is what this checks
	}
}

func TestConnectKeepsGoingWithoutTheHubAndStopsWithTheContext(t *testing.T) {
	dir := t.TempDir()
	h, r := grantedHub(t, dir, time.Now().Add(time.Minute), http.HandlerFunc(hello))
	ctx, cancel := context.WithCancel(t.Context())
	kinds := make(chan EventKind, 16)
	o := ConnectOptions{Hub: h, Dir: dir, Ref: "api", Poll: 20 * time.Millisecond, Port: AnyPort,
		OnEvent: func(e Event) { kinds <- e.Kind }}
	done := make(chan error, 1)
	go func() { done <- Connect(ctx, o) }()
	waitKind(t, kinds, EventUp)
	h.mu.Lock()
	h.down = true
	h.mu.Unlock()
	waitKind(t, kinds, EventHubLost)
	h.mu.Lock()
	h.down = false
	h.mu.Unlock()
	waitKind(t, kinds, EventHubBack)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Connect after cancel = %v, want nil", err)
	}
	waitKind(t, kinds, EventStopped)
	if keys, _ := NewKeyStore(dir); !keys.Has(r.ID) {
		t.Error("stopping deleted the key of a grant that still stands")
	}
}

func waitKind(t *testing.T, kinds <-chan EventKind, want EventKind) {
	t.Helper()
	for testutil.Receive(t, "a "+string(want)+" event", kinds) != want {
	}
}

func TestConnectRefusesAKeyOtherThanTheGrants(t *testing.T) {
	dir := t.TempDir()
	h, r := grantedHub(t, dir, time.Now().Add(time.Minute), http.HandlerFunc(hello))
	g := h.grants[r.ID]
	other, _ := wgtypes.GeneratePrivateKey()
	g.PublicKey = other.PublicKey().String()
	h.grants[r.ID] = g
	err := Connect(t.Context(), ConnectOptions{Hub: h, Dir: dir, Ref: "api", Port: AnyPort})
	if err == nil || !strings.Contains(err.Error(), "is for another key") {
		t.Errorf("Connect = %v", err)
	}
}

func TestGatewayIPs(t *testing.T) {
	ips, err := gatewayIPs(hubapi.Gateway{Address: "100.101.0.1/32", TargetAddress: "100.101.0.1:10000"})
	if err != nil || len(ips) != 1 || ips[0].String() != "100.101.0.1/32" {
		t.Errorf("same address: %v, %v", ips, err)
	}
	ips, err = gatewayIPs(hubapi.Gateway{Address: "100.101.0.1", TargetAddress: "100.101.0.2:80"})
	if err != nil || len(ips) != 2 || ips[1].String() != "100.101.0.2/32" {
		t.Errorf("other target address: %v, %v", ips, err)
	}
	if _, err := gatewayIPs(hubapi.Gateway{Address: "100.101.0.1", TargetAddress: "gw:80"}); err == nil {
		t.Error("a host name as target address was accepted")
	}
}
