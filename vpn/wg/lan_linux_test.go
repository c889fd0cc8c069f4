//go:build linux

package wg_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/netnstest"
	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/vpn/wg"
	"golang.org/x/net/proxy"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// The tests here run real devices in network namespaces joined by a
// bridge; they need root and skip without it.

const port = 51820

var overlay = netip.MustParsePrefix("10.200.0.0/16")

func newLAN(t *testing.T) *netnstest.Net {
	t.Helper()
	if err := netnstest.Available(); err != nil {
		t.Skip(err)
	}
	n, err := netnstest.New("wg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Error(err)
		}
	})
	return n
}

// node is a host on the bridge with a WireGuard device.
type node struct {
	host     *netnstest.Host
	dev      wg.Device
	overlay  netip.Addr // the device's address
	endpoint string     // where its device listens
}

func addNode(t *testing.T, n *netnstest.Net, name string, i byte, backend wg.Backend) *node {
	t.Helper()
	h, err := n.Host(name, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 9, 0, i}), 24))
	if err != nil {
		t.Fatal(err)
	}
	k, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.AddrFrom4([4]byte{10, 200, 0, i})
	cfg := wg.Config{
		Name:       n.IfName("wg"),
		PrivateKey: k,
		ListenPort: port,
		Address:    netip.PrefixFrom(addr, 32),
		Routes:     []netip.Prefix{overlay},
	}
	var dev wg.Device
	err = h.Do(func() error {
		var err error
		dev, err = wg.Open(wg.Options{Config: cfg, Backend: backend})
		return err
	})
	if err != nil {
		t.Fatalf("opening %s device on %s: %v", backend, name, err)
	}
	t.Cleanup(func() {
		if err := dev.Close(); err != nil {
			t.Errorf("closing %s: %v", dev.Name(), err)
		}
	})
	return &node{host: h, dev: dev, overlay: addr, endpoint: fmt.Sprintf("%s:%d", h.Addr.Addr(), port)}
}

// peer makes to a peer of from, reaching allowed through it.
func peer(t *testing.T, from, to *node, allowed ...netip.Prefix) {
	t.Helper()
	if len(allowed) == 0 {
		allowed = []netip.Prefix{netip.PrefixFrom(to.overlay, 32)}
	}
	err := from.dev.SetPeer(wg.Peer{PublicKey: to.dev.PublicKey(), Endpoint: to.endpoint, AllowedIPs: allowed})
	if err != nil {
		t.Fatal(err)
	}
}

func ping(ctx context.Context, from *node, to netip.Addr) error {
	_, err := from.host.Run(ctx, "ping", "-c1", "-W1", to.String())
	return err
}

// waitPing pings until an answer comes.
func waitPing(t *testing.T, from *node, to netip.Addr) {
	t.Helper()
	testutil.EventuallyNoError(t, from.host.Name+" reaching "+to.String(), func() error { return ping(t.Context(), from, to) })
}

// serveEcho runs an echo server on lis until the test ends, when it closes
// the connections it accepted and waits for their goroutines.
func serveEcho(t *testing.T, l net.Listener) {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		conns  []net.Conn // guarded by mu
		closed bool       // guarded by mu
	)
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		closed = true
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			if closed {
				c.Close()
			}
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				io.Copy(c, c)
			})
		}
	})
}

// listenEcho runs an echo server on addr inside h.
func listenEcho(t *testing.T, h *netnstest.Host, addr string) net.Listener {
	t.Helper()
	var l net.Listener
	err := h.Do(func() error {
		var err error
		l, err = net.Listen("tcp", addr)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	serveEcho(t, l)
	return l
}

func roundTrip(t *testing.T, c net.Conn) {
	t.Helper()
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	msg := strings.Repeat("x", 100_000) + "\n" // several packets
	go io.WriteString(c, msg)
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || got != msg {
		t.Fatalf("echo: %d bytes, %v", len(got), err)
	}
}

func TestUserspacePair(t *testing.T) {
	t.Parallel()
	n := newLAN(t)
	a := addNode(t, n, "a", 1, wg.BackendUserspace)
	b := addNode(t, n, "b", 2, wg.BackendUserspace)
	peer(t, a, b)
	peer(t, b, a)

	waitPing(t, a, b.overlay)
	l := listenEcho(t, b.host, netip.AddrPortFrom(b.overlay, 7).String())
	err := a.host.Do(func() error {
		c, err := net.DialTimeout("tcp", l.Addr().String(), 5*time.Second)
		if err != nil {
			return err
		}
		roundTrip(t, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	stats, err := a.dev.Peers()
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 1 || stats[0].PublicKey != b.dev.PublicKey() {
		t.Fatalf("peers of a: %+v", stats)
	}
	s := stats[0]
	if time.Since(s.LastHandshake) > time.Minute || s.RxBytes == 0 || s.TxBytes == 0 {
		t.Errorf("peer b seen by a: handshake %v, rx %d, tx %d", s.LastHandshake, s.RxBytes, s.TxBytes)
	}
	if s.Endpoint != b.endpoint || len(s.AllowedIPs) != 1 || s.AllowedIPs[0] != netip.PrefixFrom(b.overlay, 32) {
		t.Errorf("peer b seen by a: endpoint %s, allowed %v", s.Endpoint, s.AllowedIPs)
	}

	t.Run("wg show", func(t *testing.T) {
		if _, err := exec.LookPath("wg"); err != nil {
			t.Skip("no wg tool (apt-get install wireguard-tools)")
		}
		out, err := exec.CommandContext(t.Context(), "wg", "show", a.dev.Name(), "dump").CombinedOutput()
		if err != nil {
			t.Fatalf("wg show: %v: %s", err, out)
		}
		if !strings.Contains(string(out), b.dev.PublicKey().String()) {
			t.Errorf("wg show %s dump has no peer b:\n%s", a.dev.Name(), out)
		}
	})

	// Removing b stops traffic at once.
	if err := a.dev.RemovePeer(b.dev.PublicKey()); err != nil {
		t.Fatal(err)
	}
	if err := ping(t.Context(), a, b.overlay); err == nil {
		t.Error("a still reaches b after removing the peer")
	}
	if stats, _ := a.dev.Peers(); len(stats) != 0 {
		t.Errorf("peers of a after RemovePeer: %+v", stats)
	}
	if err := a.dev.RemovePeer(b.dev.PublicKey()); err != nil {
		t.Errorf("removing a removed peer: %v", err)
	}
}

func TestNetstackReachesUserspace(t *testing.T) {
	t.Parallel()
	n := newLAN(t)
	a := addNode(t, n, "a", 1, wg.BackendUserspace)
	b := addNode(t, n, "b", 2, wg.BackendNetstack)
	peer(t, a, b)
	peer(t, b, a, overlay)
	nd, ok := b.dev.(wg.NetstackDevice)
	if !ok {
		t.Fatalf("netstack device is a %T", b.dev)
	}
	echo := listenEcho(t, a.host, netip.AddrPortFrom(a.overlay, 7).String())

	t.Run("dial", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		c, err := nd.DialContext(ctx, "tcp", echo.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, c)
	})

	t.Run("socks5", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- wg.ServeSOCKS5(ctx, l, nd.DialContext) }()
		defer func() {
			cancel()
			if err := <-done; err != nil {
				t.Error(err)
			}
		}()
		client, err := proxy.SOCKS5("tcp", l.Addr().String(), nil, proxy.Direct)
		if err != nil {
			t.Fatal(err)
		}
		c, err := client.Dial("tcp", echo.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, c)
	})

	t.Run("listen", func(t *testing.T) {
		l, err := nd.Listen("tcp", ":7")
		if err != nil {
			t.Fatal(err)
		}
		serveEcho(t, l)
		err = a.host.Do(func() error {
			c, err := net.DialTimeout("tcp", netip.AddrPortFrom(b.overlay, 7).String(), 5*time.Second)
			if err != nil {
				return err
			}
			roundTrip(t, c)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestHubForwards builds devenv's topology: a and b peer with the hub only,
// and the hub's kernel forwards between them.
func TestHubForwards(t *testing.T) {
	t.Parallel()
	n := newLAN(t)
	hub := addNode(t, n, "hub", 1, wg.BackendUserspace)
	a := addNode(t, n, "a", 2, wg.BackendUserspace)
	b := addNode(t, n, "b", 3, wg.BackendUserspace)
	if err := hub.host.Sysctl("net.ipv4.ip_forward", "1"); err != nil {
		t.Fatal(err)
	}
	// The hub knows no endpoints: spokes dial in and keep their NAT
	// mappings with keepalives, as devenv's nodes do.
	for _, spoke := range []*node{a, b} {
		err := hub.dev.SetPeer(wg.Peer{PublicKey: spoke.dev.PublicKey(), AllowedIPs: []netip.Prefix{netip.PrefixFrom(spoke.overlay, 32)}})
		if err != nil {
			t.Fatal(err)
		}
		err = spoke.dev.SetPeer(wg.Peer{PublicKey: hub.dev.PublicKey(), Endpoint: hub.endpoint, AllowedIPs: []netip.Prefix{overlay}, Keepalive: 25 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
	}

	waitPing(t, a, b.overlay)
	l := listenEcho(t, b.host, netip.AddrPortFrom(b.overlay, 7).String())
	err := a.host.Do(func() error {
		c, err := net.DialTimeout("tcp", l.Addr().String(), 5*time.Second)
		if err != nil {
			return err
		}
		roundTrip(t, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCloseRemovesLinkAndSocket opens a device over a stale control socket
// and wants the link and the socket gone after Close.
func TestCloseRemovesLinkAndSocket(t *testing.T) {
	t.Parallel()
	n := newLAN(t)
	h, err := n.Host("a", netip.MustParsePrefix("10.9.0.1/24"))
	if err != nil {
		t.Fatal(err)
	}
	name := n.IfName("wg")
	sock := "/var/run/wireguard/" + name + ".sock"
	os.MkdirAll("/var/run/wireguard", 0o755)
	if err := os.WriteFile(sock, nil, 0o600); err != nil { // left by a crashed run
		t.Fatal(err)
	}
	k, _ := wgtypes.GeneratePrivateKey()
	cfg := wg.Config{Name: name, PrivateKey: k, Address: netip.MustParsePrefix("10.200.0.1/32")}
	var dev wg.Device
	err = h.Do(func() error {
		dev, err = wg.Open(wg.Options{Config: cfg})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if dev.Backend() != wg.BackendUserspace {
		t.Errorf("auto picked %s here", dev.Backend())
	}
	if _, err := h.Run(t.Context(), "ip", "link", "show", name); err != nil {
		t.Fatal(err)
	}
	if err := dev.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Run(t.Context(), "ip", "link", "show", name); err == nil {
		t.Errorf("link %s is left after Close", name)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("socket %s is left after Close: %v", sock, err)
	}
	if err := dev.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
