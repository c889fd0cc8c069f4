package vpn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/wg"
)

// running is a node under test, on a fake device, against a fake hub.
type runningNode struct {
	hub    *fakeHub
	srv    *httptest.Server
	dir    string
	dev    *fakeDevice
	done   chan error // Run's result
	mu     sync.Mutex
	events []Event
}

func startNode(t *testing.T) *runningNode {
	t.Helper()
	r := &runningNode{hub: newFakeHub(t), dir: t.TempDir(), done: make(chan error, 1)}
	r.srv = r.hub.start("")
	if _, err := Join(t.Context(), JoinOptions{Invite: invite(r.srv, "s"), Name: "laptop", Dir: r.dir}); err != nil {
		t.Fatal(err)
	}
	n, err := NewNode(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	n.retry = backoff{min: 20 * time.Millisecond, max: 100 * time.Millisecond}
	opened := make(chan *fakeDevice, 1)
	o := RunOptions{
		NewDevice: func(o wg.Options) (wg.Device, error) {
			d := newFakeDevice(o)
			opened <- d
			return d, nil
		},
		OnEvent: func(e Event) {
			r.mu.Lock()
			r.events = append(r.events, e)
			r.mu.Unlock()
		},
	}
	ctx, cancel := context.WithCancel(t.Context())
	go func() { r.done <- n.Run(ctx, o) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	select {
	case r.dev = <-opened:
	case err := <-r.done:
		t.Fatalf("Run: %v", err)
	}
	r.waitFor(t, "the control socket", func() bool { _, err := running(t.Context(), r.dir); return err == nil })
	return r
}

// waitFor waits for ok, saying what the node did if it never holds.
func (r *runningNode) waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	testutil.EventuallyNoError(t, what, func() error {
		if ok() {
			return nil
		}
		return fmt.Errorf("device ops %q; events %v", r.dev.opLog(), r.eventKinds())
	})
}

func (r *runningNode) hasOp(op string) func() bool {
	return func() bool { return slices.Contains(r.dev.opLog(), op) }
}

func (r *runningNode) eventKinds() []EventKind {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ks []EventKind
	for _, e := range r.events {
		ks = append(ks, e.Kind)
	}
	return ks
}

func TestNodeOpensDeviceWithStateAndHubPeer(t *testing.T) {
	r := startNode(t)
	cfg := r.dev.opts.Config
	if cfg.Name != InterfaceName || cfg.Address != netip.MustParsePrefix("100.100.0.2/32") ||
		!slices.Equal(cfg.Routes, []netip.Prefix{netip.MustParsePrefix(testNetwork)}) {
		t.Errorf("device config = %+v", cfg)
	}
	hubKey, _ := wgtypes.ParseKey(r.hub.nm.Hub.PublicKey)
	r.dev.mu.Lock()
	p := r.dev.peers[hubKey]
	r.dev.mu.Unlock()
	if p.Endpoint != "127.0.0.1:51820" || p.Keepalive != 25*time.Second {
		t.Errorf("hub peer = %+v", p)
	}
}

func TestNodeAppliesHubChanges(t *testing.T) {
	r := startNode(t)
	old := r.hub.nm.Hub.PublicKey
	r.hub.update(func(nm *hubapi.NetMap) { nm.Hub.Endpoint = "127.0.0.1:51821" })
	r.waitFor(t, "the new endpoint", r.hasOp("set "+old+" 127.0.0.1:51821"))

	newKey, _ := wgtypes.GeneratePrivateKey()
	r.hub.update(func(nm *hubapi.NetMap) { nm.Hub.PublicKey = newKey.PublicKey().String() })
	r.waitFor(t, "the new hub key", r.hasOp("set "+newKey.PublicKey().String()+" 127.0.0.1:51821"))
	ops := r.dev.opLog()
	if i := slices.Index(ops, "remove "+old); i < 0 || i > slices.Index(ops, "set "+newKey.PublicKey().String()+" 127.0.0.1:51821") {
		t.Errorf("ops %q: want the old hub key removed before the new one is set", ops)
	}
	// A peer list change alone does not touch the device.
	n := len(r.dev.opLog())
	r.hub.update(func(nm *hubapi.NetMap) { nm.Peers = []hubapi.Device{{Name: "desk", Address: "100.100.0.3/32"}} })
	r.waitFor(t, "the new device list", func() bool {
		s, err := Status(t.Context(), r.dir)
		return err == nil && len(s.Devices) == 1
	})
	if ops := r.dev.opLog(); len(ops) != n {
		t.Errorf("a peer list change touched the device: %q", ops[n:])
	}
	if st, _ := LoadState(r.dir); st.Hub.PublicKey != newKey.PublicKey().String() {
		t.Errorf("saved hub key %s, want the new one", st.Hub.PublicKey)
	}
}

func TestNodeRevokeClosesDeviceWithinASecond(t *testing.T) {
	r := startNode(t)
	start := time.Now()
	r.hub.update(func(nm *hubapi.NetMap) { nm.Revoked = true })
	select {
	case <-r.dev.closed:
	case <-time.After(testutil.Scaled(time.Second)): // how soon is what this checks
		t.Fatal("device still open 1 s after the revoke")
	}
	if err := <-r.done; !errors.Is(err, ErrRevoked) {
		t.Errorf("Run = %v, want ErrRevoked", err)
	}
	r.done <- nil // for the cleanup
	t.Logf("device closed %v after the revoke", time.Since(start))
	if s, err := Status(t.Context(), r.dir); err != nil || !s.Revoked || s.Up {
		t.Errorf("status after the revoke: %+v, %v", s, err)
	}
	n, err := NewNode(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Run(t.Context(), RunOptions{NewDevice: func(wg.Options) (wg.Device, error) {
		t.Error("a revoked node opened a device")
		return nil, errors.New("no")
	}}); !errors.Is(err, ErrRevoked) {
		t.Errorf("Run of a revoked node = %v, want ErrRevoked", err)
	}
}

func TestNodeReconnectsAfterHubRestart(t *testing.T) {
	r := startNode(t)
	addr := r.srv.Listener.Addr().String()
	r.srv.CloseClientConnections()
	r.srv.Close()
	r.waitFor(t, "the node to notice", func() bool { return slices.Contains(r.eventKinds(), EventHubLost) })
	s, err := Status(t.Context(), r.dir)
	if err != nil || !strings.Contains(s.HubError, addr) {
		t.Errorf("status while the hub is down: %+v, %v", s, err)
	}
	time.Sleep(200 * time.Millisecond) // not an event: the hub stays away a while, whatever the node tries meanwhile
	r.hub.update(func(nm *hubapi.NetMap) { nm.Hub.Endpoint = "127.0.0.1:51829" })
	r.srv = r.hub.start(addr)
	r.waitFor(t, "the node to reconnect and apply", r.hasOp("set "+r.hub.nm.Hub.PublicKey+" 127.0.0.1:51829"))
	r.waitFor(t, "hub-back", func() bool { return slices.Contains(r.eventKinds(), EventHubBack) })
	// The hub's tunnel is renewed at once rather than after WireGuard's
	// own timeouts.
	if !slices.Contains(r.dev.opLog(), "remove "+r.hub.nm.Hub.PublicKey) {
		t.Errorf("ops %q: want the hub peer renewed after the hub came back", r.dev.opLog())
	}
}

func TestNodeStatusAndDown(t *testing.T) {
	r := startNode(t)
	s, err := Status(t.Context(), r.dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []PeerStatus{{PublicKey: r.hub.nm.Hub.PublicKey, Endpoint: "127.0.0.1:51820", AllowedIPs: []string{testNetwork},
		LastHandshake: time.Unix(1700000000, 0), RxBytes: 10, TxBytes: 20}}
	if diff := cmp.Diff(want, s.Peers); diff != "" || !s.Up || s.Backend != "fake" || s.Address != "100.100.0.2/32" {
		t.Errorf("status %+v; peers (-want +got):\n%s", s, diff)
	}
	if _, err := NewNode(r.dir); err != nil {
		t.Fatal(err)
	}
	if err := Down(t.Context(), r.dir); err != nil {
		t.Fatal(err)
	}
	if err := testutil.Receive(t, "Run's return after down", r.done); err != nil {
		t.Errorf("Run after down = %v, want nil", err)
	}
	r.done <- nil
	if !slices.Contains(r.dev.opLog(), "close") {
		t.Error("device not closed")
	}
	s, err = Status(t.Context(), r.dir)
	if err != nil || s.Up || s.Address != "100.100.0.2/32" {
		t.Errorf("status after down = %+v, %v", s, err)
	}
	if err := Down(t.Context(), r.dir); !errors.Is(err, ErrNotRunning) {
		t.Errorf("second down = %v, want ErrNotRunning", err)
	}
}

func TestNodeRefusesSecondRun(t *testing.T) {
	r := startNode(t)
	n, err := NewNode(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	err = n.Run(t.Context(), RunOptions{NewDevice: func(o wg.Options) (wg.Device, error) { return newFakeDevice(o), nil }})
	if !errors.Is(err, ErrAlreadyRunning) {
		t.Errorf("second Run = %v, want ErrAlreadyRunning", err)
	}
}

func TestNodeForward(t *testing.T) {
	r := startNode(t)
	target := echoServer(t)
	ctx, cancel := context.WithCancel(t.Context())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Forward(ctx, r.dir, ForwardOptions{Listen: "127.0.0.1:0", Target: target, Ready: func(a string) { ready <- a }})
	}()
	listen := <-ready
	c, err := net.Dial("tcp", listen)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(c, "hello")
	buf := make([]byte, 6)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello\n" {
		t.Errorf("through the forward: %q, %v", buf, err)
	}
	c.Close()
	if s, _ := Status(t.Context(), r.dir); len(s.Forwards) != 1 || s.Forwards[0].Target != target {
		t.Errorf("forwards in status = %+v", s.Forwards)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Forward = %v", err)
	}
	r.waitFor(t, "the forward to end", func() bool {
		_, err := net.Dial("tcp", listen)
		return err != nil
	})
}

func echoServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

func TestPlanHub(t *testing.T) {
	k1, _ := wgtypes.GeneratePrivateKey()
	k2, _ := wgtypes.GeneratePrivateKey()
	a, b := k1.PublicKey().String(), k2.PublicKey().String()
	network := netip.MustParsePrefix(testNetwork)
	base := hubapi.HubPeer{PublicKey: a, Endpoint: "h:1", AllowedIPs: []string{testNetwork}}
	with := func(f func(*hubapi.HubPeer)) hubapi.HubPeer { p := base; f(&p); return p }
	tests := []struct {
		name string
		new  hubapi.HubPeer
		want []string
	}{
		{"same", base, nil},
		{"endpoint", with(func(p *hubapi.HubPeer) { p.Endpoint = "h:2" }),
			[]string{"set " + a + " endpoint=h:2 allowed=[100.100.0.0/16]"}},
		{"subnet", with(func(p *hubapi.HubPeer) { p.AllowedIPs = []string{testNetwork, "10.1.2.3/24"} }),
			[]string{"set " + a + " endpoint=h:1 allowed=[100.100.0.0/16 10.1.2.0/24]"}},
		{"key", with(func(p *hubapi.HubPeer) { p.PublicKey = b }),
			[]string{"remove " + a, "set " + b + " endpoint=h:1 allowed=[100.100.0.0/16]"}},
		{"bad key", with(func(p *hubapi.HubPeer) { p.PublicKey = "nope" }),
			[]string{`error the hub sent an unusable peer: the hub's public key "nope": wgtypes: incorrect key size: 3`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range planHub(base, tt.new, network) {
				got = append(got, c.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}

// A node without --interface takes the first free default name; with one,
// it takes that name or fails.
func TestNodeDefaultInterfaceSkipsTakenNames(t *testing.T) {
	taken := map[string]bool{InterfaceName: true, "devenv1": true}
	var tried []string
	open := func(o wg.Options) (wg.Device, error) {
		tried = append(tried, o.Config.Name)
		if taken[o.Config.Name] {
			return nil, fmt.Errorf("opening: %w", wg.ErrInUse)
		}
		return newFakeDevice(o), nil
	}
	dev, err := openNamed(open, wg.Options{}, "")
	if err != nil || dev.Name() != "devenv2" {
		t.Fatalf("default name: %v, %v; tried %q", dev, err, tried)
	}
	if _, err := openNamed(open, wg.Options{}, InterfaceName); !errors.Is(err, wg.ErrInUse) {
		t.Errorf("an explicit name in use: %v, want ErrInUse", err)
	}
	for k := range 10 {
		taken[fmt.Sprintf("devenv%d", k)] = true
	}
	taken[InterfaceName] = true
	if _, err := openNamed(open, wg.Options{}, ""); !errors.Is(err, wg.ErrInUse) {
		t.Errorf("every default name in use: %v, want ErrInUse", err)
	}
}
