//go:build linux

package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/access"
	"github.com/devenv-dev/devenv/internal/netnstest"
	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/wg"
)

// --- the gateway's state and raw tunnels -------------------------------

// gatewayGrant reads grant id from the gateway's saved grants.
func (w *world) gatewayGrant(t *testing.T, id string) hubapi.Grant {
	t.Helper()
	var g hubapi.Grant
	testutil.EventuallyNoError(t, "the grant at the gateway", func() error {
		b, err := os.ReadFile(filepath.Join(w.gwState, "grants.json"))
		if err != nil {
			return err
		}
		var saved struct{ Grants []hubapi.Grant }
		if err := json.Unmarshal(b, &saved); err != nil {
			return err
		}
		for _, sg := range saved.Grants {
			if sg.RequestID == id {
				g = sg
				return nil
			}
		}
		return errors.New("not there yet")
	})
	return g
}

// gatewayLogged waits for the gateway's log line msg about request id.
func (w *world) gatewayLogged(t *testing.T, msg, id string) {
	t.Helper()
	testutil.EventuallyNoError(t, "the gateway's "+msg+" of "+id, func() error {
		w.mu.Lock()
		p := w.gwProc
		w.mu.Unlock()
		for line := range strings.Lines(p.stderr.String()) {
			if strings.Contains(line, "msg=\""+msg+"\"") && strings.Contains(line, "request="+id) {
				return nil
			}
		}
		return errors.New("not logged yet")
	})
}

// handshake is when a raw tunnel last completed a handshake with the
// gateway; zero: never.
func handshake(t *testing.T, tun rawTunnel) time.Time {
	t.Helper()
	ps, err := tun.Peers()
	if err != nil || len(ps) != 1 {
		t.Fatalf("the raw tunnel's peers: %v %v", ps, err)
	}
	return ps[0].LastHandshake
}

func loadKey(dir, id string) (wgtypes.Key, error) {
	ks, err := access.NewKeyStore(dir)
	if err != nil {
		return wgtypes.Key{}, err
	}
	return ks.Load(id)
}

// rawTunnel is a netstack WireGuard device in a host with a grant's key:
// what a client holding only the key could do, with no deadline of its own.
type rawTunnel struct{ wg.NetstackDevice }

func openRawTunnel(t *testing.T, h *netnstest.Host, key wgtypes.Key, g hubapi.Grant) rawTunnel {
	t.Helper()
	addr := netip.MustParsePrefix(g.ClientAddress)
	gwKey, err := wgtypes.ParseKey(g.Gateway.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort(g.Gateway.TargetAddress)
	var d wg.Device
	err = h.Do(func() error {
		var err error
		if d, err = wg.Open(wg.Options{Backend: wg.BackendNetstack, Config: wg.Config{PrivateKey: key, Address: addr}}); err != nil {
			return err
		}
		return d.SetPeer(wg.Peer{PublicKey: gwKey, Endpoint: g.Gateway.Endpoint,
			AllowedIPs: []netip.Prefix{netip.PrefixFrom(ap.Addr(), ap.Addr().BitLen())}})
	})
	if err != nil {
		t.Fatal(err)
	}
	return rawTunnel{d.(wg.NetstackDevice)}
}

// --- HTTP through hosts and tunnels --------------------------------------

// dialer dials TCP somewhere: inside a host, or through a tunnel.
type dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// hostDialer dials from inside a host's namespace.
type hostDialer struct{ h *netnstest.Host }

func (d hostDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := d.h.Do(func() error {
		var err error
		c, err = (&net.Dialer{}).DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

func dialerOf(via any) dialer {
	if h, ok := via.(*netnstest.Host); ok {
		return hostDialer{h}
	}
	return via.(dialer)
}

func dialIn(h *netnstest.Host, addr string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return hostDialer{h}.DialContext(ctx, "tcp", addr)
}

func client(via any, timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{
		DisableKeepAlives: true, Proxy: nil, DialContext: dialerOf(via).DialContext,
	}}
}

func do(via any, req *http.Request, timeout time.Duration) (int, string, error) {
	resp, err := client(via, timeout).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func get(via any, url string, timeout time.Duration) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	return do(via, req, timeout)
}

// stream is a GET /stream being read: a tick every 50 ms until it is cut.
type stream struct {
	ticks chan struct{}
	cut   chan time.Time // when the read failed
}

func startStream(t *testing.T, via any, base string) *stream {
	t.Helper()
	s := &stream{ticks: make(chan struct{}, 1000), cut: make(chan time.Time, 1)}
	resp, err := client(via, 0).Get(base + "/stream")
	if err != nil {
		t.Fatalf("GET /stream: %v", err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET /stream: %s", resp.Status)
	}
	go func() {
		defer resp.Body.Close()
		buf := make([]byte, 64)
		for {
			if _, err := resp.Body.Read(buf); err != nil {
				s.cut <- time.Now()
				return
			}
			select {
			case s.ticks <- struct{}{}:
			default:
			}
		}
	}()
	return s
}

func (s *stream) waitTicks(t *testing.T, n int) {
	t.Helper()
	for range n {
		testutil.Receive(t, "a tick of the stream", s.ticks)
	}
}

// waitCut returns when the stream was cut; callers judge that time, so
// how long this waits only bounds a failure.
func (s *stream) waitCut(t *testing.T) time.Time {
	t.Helper()
	return testutil.Receive(t, "the stream's cut", s.cut)
}
