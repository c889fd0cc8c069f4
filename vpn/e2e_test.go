//go:build linux

package vpn_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/proxy"

	"github.com/devenv-dev/devenv/internal/netnstest"
	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/vpn"
	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/wg"
)

const (
	hubLAN    = "10.78.0.1"
	hubTunnel = "100.100.0.1"
	echoPort  = "7000"
)

// mesh is a hub (in this process, inside its namespace) and developer nodes
// (the real devenv binary, each in its own namespace) on one bridge.
type mesh struct {
	t       *testing.T
	net     *netnstest.Net
	hubHost *netnstest.Host
	hubDir  string
	hubIf   string
	devenv  string // the binary under test

	mu     sync.Mutex
	hub    *hub.Hub   // guarded by mu
	served chan error // guarded by mu
}

func newMesh(t *testing.T) *mesh {
	if testing.Short() {
		t.Skip("multi-host test; without -short")
	}
	if err := netnstest.Available(); err != nil {
		t.Skip(err)
	}
	n, err := netnstest.New("vpne2e")
	if err != nil {
		t.Fatal(err)
	}
	n.Log = t
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Error(err)
		}
	})
	m := &mesh{t: t, net: n, hubDir: t.TempDir(), hubIf: n.IfName("hub"), devenv: buildDevenv(t)}
	m.hubHost = m.host("hub", hubLAN+"/24")
	if err := m.hubHost.Sysctl("net.ipv4.ip_forward", "1"); err != nil {
		t.Fatal(err)
	}
	m.startHub()
	m.listenHubEcho()
	return m
}

func buildDevenv(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "devenv")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/devenv-dev/devenv/cmd/devenv").CombinedOutput()
	if err != nil {
		t.Fatalf("building devenv: %v\n%s", err, out)
	}
	return bin
}

func (m *mesh) host(name, addr string) *netnstest.Host {
	h, err := m.net.Host(name, netip.MustParsePrefix(addr))
	if err != nil {
		m.t.Fatal(err)
	}
	return h
}

// startHub runs the hub on its data directory: the second time, a restart.
func (m *mesh) startHub() {
	var h *hub.Hub
	err := m.hubHost.Do(func() error {
		var err error
		h, err = hub.New(hub.Options{
			DataDir: m.hubDir, Listen: hubLAN + ":8443", PublicURL: "https://" + hubLAN + ":8443",
			WGListenPort: 51820, Endpoint: hubLAN + ":51820", Interface: m.hubIf, NewDevice: m.hubDevice,
			Logger: slog.New(slog.NewTextHandler(testLog{m.t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		})
		return err
	})
	if err != nil {
		m.t.Fatalf("starting the hub: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- h.Serve(context.Background()); close(served) }()
	m.mu.Lock()
	m.hub, m.served = h, served
	m.mu.Unlock()
	m.t.Cleanup(func() {
		h.Close()
		<-served // closed after Serve returned, even if restartHub read its result
	})
}

// listenHubEcho serves an echo on the hub's tunnel address. The socket
// outlives hub restarts: the address comes back with the device.
func (m *mesh) listenHubEcho() {
	testutil.EventuallyNoError(m.t, "the hub's tunnel address", func() error {
		return m.hubHost.Do(func() error {
			ln, err := net.Listen("tcp", net.JoinHostPort(hubTunnel, echoPort))
			if err == nil {
				m.t.Cleanup(echo(ln))
			}
			return err
		})
	})
}

func (m *mesh) restartHub() {
	m.mu.Lock()
	h, served := m.hub, m.served
	m.mu.Unlock()
	h.Close()
	if err := <-served; err != nil {
		m.t.Errorf("hub Serve: %v", err)
	}
	m.startHub()
}

// testLog writes the hub's log lines to the test's log.
type testLog struct{ t *testing.T }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// hubDevice opens the hub's WireGuard device inside the hub's namespace.
func (m *mesh) hubDevice(c wg.Config) (wg.Device, error) {
	var d wg.Device
	err := m.hubHost.Do(func() error {
		var err error
		d, err = wg.Open(wg.Options{Config: c, Backend: wg.BackendUserspace})
		return err
	})
	return d, err
}

func (m *mesh) theHub() *hub.Hub {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.hub
}

func (m *mesh) invite(user string) string {
	h := m.theHub()
	if _, err := h.AddUser(user, hubapi.RoleDeveloper); err != nil && !strings.Contains(err.Error(), "exists") {
		m.t.Fatal(err)
	}
	inv, err := h.CreateInvite(hub.InviteOptions{User: user})
	if err != nil {
		m.t.Fatal(err)
	}
	return inv.Invite
}

// node is one developer machine.
type node struct {
	m      *mesh
	host   *netnstest.Host
	dir    string // state directory
	ifname string
	addr   string // tunnel address, once joined
}

func (m *mesh) newNode(name, lan string) *node {
	return &node{m: m, host: m.host(name, lan), dir: m.t.TempDir(), ifname: m.net.IfName("dv")}
}

// devenv runs the devenv binary inside the node's namespace.
func (n *node) devenv(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(n.m.t.Context(), 30*time.Second)
	defer cancel()
	argv := append([]string{n.m.devenv, "vpn", "--state-dir", n.dir}, args...)
	out, err := n.host.Command(ctx, argv...).CombinedOutput()
	if err != nil {
		return string(out), errors.New(strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

func (n *node) join(invite string) {
	n.m.t.Helper()
	if out, err := n.devenv("join", invite, "--name", n.host.Name); err != nil {
		n.m.t.Fatalf("join on %s: %v", n.host.Name, err)
	} else {
		n.m.t.Logf("%s: %s", n.host.Name, strings.TrimSpace(out))
	}
	st, err := vpn.LoadState(n.dir)
	if err != nil {
		n.m.t.Fatal(err)
	}
	n.addr = st.Address.Addr().String()
}

// up starts the node in the background, as a developer would.
func (n *node) up(extra ...string) {
	n.m.t.Helper()
	args := append([]string{"up", "--interface", n.ifname}, extra...)
	if _, err := n.devenv(args...); err != nil {
		n.m.t.Fatalf("up on %s: %v", n.host.Name, err)
	}
	n.m.t.Cleanup(n.down)
}

// down stops the node, killing it if it does not answer.
func (n *node) down() {
	s, err := vpn.Status(context.Background(), n.dir)
	if err != nil || !s.Up {
		return
	}
	if _, err := n.devenv("down"); err != nil && s.Pid > 0 {
		_ = syscall.Kill(s.Pid, syscall.SIGKILL)
	}
}

func (n *node) status() vpn.NodeStatus {
	s, err := vpn.Status(n.m.t.Context(), n.dir)
	if err != nil {
		n.m.t.Fatal(err)
	}
	return s
}

// dialEcho checks a TCP round trip from inside h to addr.
func dialEcho(h *netnstest.Host, addr string, timeout time.Duration) error {
	var c net.Conn
	err := h.Do(func() error {
		var err error
		c, err = net.DialTimeout("tcp", addr, timeout)
		return err
	})
	if err != nil {
		return err
	}
	return roundTrip(c, timeout)
}

func roundTrip(c net.Conn, timeout time.Duration) error {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(c, "ping\n"); err != nil {
		return err
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	if string(buf) != "ping\n" {
		return errors.New("echo answered " + strconv.Quote(string(buf)))
	}
	return nil
}

// listenEcho serves an echo on the node's tunnel address.
func (n *node) listenEcho() {
	err := n.host.Do(func() error {
		ln, err := net.Listen("tcp", net.JoinHostPort(n.addr, echoPort))
		if err == nil {
			n.m.t.Cleanup(echo(ln))
		}
		return err
	})
	if err != nil {
		n.m.t.Fatal(err)
	}
}

// echo serves an echo server on ln and returns how to stop it: close ln
// and the connections it accepted, and wait for their goroutines.
func echo(ln net.Listener) (stop func()) {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		conns  []net.Conn // guarded by mu
		closed bool       // guarded by mu
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			if closed {
				c.Close()
			}
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { defer c.Close(); _, _ = io.Copy(c, c) })
		}
	})
	return func() {
		ln.Close()
		mu.Lock()
		closed = true
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}
}

func ping(h *netnstest.Host, addr string) error {
	_, err := h.Run(context.Background(), "ping", "-c1", "-W1", addr)
	return err
}

// nsDialer dials from inside a host, for a SOCKS5 client there.
type nsDialer struct{ h *netnstest.Host }

func (d nsDialer) Dial(network, addr string) (net.Conn, error) {
	var c net.Conn
	err := d.h.Do(func() error {
		var err error
		c, err = net.DialTimeout(network, addr, 2*time.Second)
		return err
	})
	return c, err
}

// TestMesh runs the hub and three developer machines in network namespaces:
// two with system interfaces (wireguard-go on TUN) and one userspace node.
// The subtests run in order on the one mesh.
func TestMesh(t *testing.T) {
	m := newMesh(t)
	a, b, c := m.newNode("a", "10.78.0.2/24"), m.newNode("b", "10.78.0.3/24"), m.newNode("c", "10.78.0.4/24")
	invA := m.invite("ann")
	a.join(invA)
	b.join(m.invite("bob"))
	a.up()
	b.up()
	a.listenEcho()
	b.listenEcho()
	t.Run("node reaches the hub", func(t *testing.T) { testReachHub(t, m, a) })
	t.Run("nodes reach each other through the hub", func(t *testing.T) { testReachPeer(t, a, b) })
	t.Run("an invite works once", func(t *testing.T) {
		_, err := (&node{m: m, host: c.host, dir: t.TempDir()}).devenv("join", invA)
		if err == nil || !strings.Contains(err.Error(), "already used") {
			t.Errorf("second join with one invite: %v", err)
		}
	})
	t.Run("wg show reads a node's device", func(t *testing.T) {
		out, err := a.host.Run(t.Context(), "wg", "show", a.ifname)
		hubKey := m.theHub().HubPeer().PublicKey
		if err != nil || !strings.Contains(string(out), "peer: "+hubKey) || !strings.Contains(string(out), "latest handshake") {
			t.Errorf("wg show %s: %v\n%s", a.ifname, err, out)
		}
	})
	t.Run("userspace node reaches peers through its SOCKS5 proxy", func(t *testing.T) { testSOCKS(t, m, c, a) })
	t.Run("hub restart keeps addresses and the mesh recovers", func(t *testing.T) { testHubRestart(t, m, a, b) })
	t.Run("a network change: the node recovers by itself", func(t *testing.T) { testNetworkChange(t, a, b) })
	t.Run("revoke cuts a device off within a second", func(t *testing.T) { testRevoke(t, m, a, b) })
	t.Run("leave frees the address", func(t *testing.T) { testLeave(t, m, a) })
}

func testReachHub(t *testing.T, m *mesh, a *node) {
	testutil.EventuallyNoError(t, "ping a -> hub", func() error { return ping(a.host, hubTunnel) })
	if err := dialEcho(a.host, net.JoinHostPort(hubTunnel, echoPort), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := dialEcho(m.hubHost, net.JoinHostPort(a.addr, echoPort), 2*time.Second); err != nil {
		t.Fatalf("hub -> a: %v", err)
	}
}

func testReachPeer(t *testing.T, a, b *node) {
	testutil.EventuallyNoError(t, "ping a -> b", func() error { return ping(a.host, b.addr) })
	for _, p := range [][2]*node{{a, b}, {b, a}} {
		if err := dialEcho(p[0].host, net.JoinHostPort(p[1].addr, echoPort), 2*time.Second); err != nil {
			t.Errorf("%s -> %s: %v", p[0].host.Name, p[1].host.Name, err)
		}
	}
}

func testSOCKS(t *testing.T, m *mesh, c, a *node) {
	c.join(m.invite("cid"))
	c.up("--userspace", "--socks", "127.0.0.1:1080")
	d, err := proxy.SOCKS5("tcp", "127.0.0.1:1080", nil, nsDialer{c.host})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{net.JoinHostPort(hubTunnel, echoPort), net.JoinHostPort(a.addr, echoPort)} {
		testutil.EventuallyNoError(t, "SOCKS5 to "+target, func() error {
			conn, err := d.Dial("tcp", target)
			if err != nil {
				return err
			}
			return roundTrip(conn, 2*time.Second)
		})
	}
}

// testNetworkChange takes a's LAN link away until the node notices and brings
// it back: the node must reach the hub and b again unaided.
func testNetworkChange(t *testing.T, a, b *node) {
	if _, err := a.host.Run(t.Context(), "ip", "link", "set", "eth0", "down"); err != nil {
		t.Fatal(err)
	}
	// The long-poll idles on a connection that is now dead: TCP keepalives
	// must give it away in seconds.
	took := testutil.EventuallyNoError(t, "a's node notices the hub is gone", func() error {
		if a.status().HubError == "" {
			return errors.New("no hub error yet")
		}
		return nil
	})
	t.Logf("a's node noticed the lost link after %v", took)
	if _, err := a.host.Run(t.Context(), "ip", "link", "set", "eth0", "up"); err != nil {
		t.Fatal(err)
	}
	took = testutil.EventuallyNoError(t, "a -> b after the link came back", func() error {
		return dialEcho(a.host, net.JoinHostPort(b.addr, echoPort), 500*time.Millisecond)
	})
	t.Logf("a reached b %v after its link came back", took)
	testutil.EventuallyNoError(t, "a's node sees the hub again", func() error {
		if s := a.status(); s.HubError != "" {
			return errors.New(s.HubError)
		}
		return nil
	})
}

func testHubRestart(t *testing.T, m *mesh, a, b *node) {
	before := [2]string{a.status().Address, b.status().Address}
	m.restartHub()
	took := testutil.EventuallyNoError(t, "a -> b after the restart", func() error {
		return dialEcho(a.host, net.JoinHostPort(b.addr, echoPort), 500*time.Millisecond)
	})
	t.Logf("a reached b %v after the hub restarted", took)
	if after := [2]string{a.status().Address, b.status().Address}; after != before {
		t.Errorf("addresses %v after the restart, were %v", after, before)
	}
	testutil.EventuallyNoError(t, "a's node sees the hub", func() error {
		if s := a.status(); s.HubError != "" {
			return errors.New(s.HubError)
		}
		return nil
	})
}

func testRevoke(t *testing.T, m *mesh, a, b *node) {
	st, err := vpn.LoadState(b.dir)
	if err != nil {
		t.Fatal(err)
	}
	target := net.JoinHostPort(b.addr, echoPort)
	if err := dialEcho(a.host, target, 2*time.Second); err != nil {
		t.Fatalf("a -> b before the revoke: %v", err)
	}
	start := time.Now()
	if err := m.theHub().Revoke(st.DeviceID); err != nil {
		t.Fatal(err)
	}
	// Within a second (scaled): how soon a revoke cuts is what this checks.
	testutil.EventuallyNoError(t, "a -> b cut", func() error {
		if dialEcho(a.host, target, 200*time.Millisecond) == nil {
			return errors.New("a still reaches b")
		}
		return nil
	}, testutil.Within(time.Second))
	testutil.EventuallyNoError(t, "b's node stops", func() error {
		if s := b.status(); s.Up || !s.Revoked {
			return errors.New("b is still up")
		}
		return nil
	}, testutil.Within(time.Second))
	t.Logf("b cut off and its node stopped %v after the revoke", time.Since(start))
}

func testLeave(t *testing.T, m *mesh, a *node) {
	freed := a.addr
	if _, err := a.devenv("leave"); err != nil {
		t.Fatal(err)
	}
	devs, err := m.theHub().Devices()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		if strings.HasPrefix(d.Address, freed+"/") && !d.Revoked {
			t.Errorf("after leave the hub still lists %+v", d)
		}
	}
	again := &node{m: m, host: a.host, dir: t.TempDir()}
	again.join(m.invite("ann"))
	if again.addr != freed {
		t.Errorf("a new device got %s, want the freed %s", again.addr, freed)
	}
}
