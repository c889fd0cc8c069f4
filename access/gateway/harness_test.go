package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
	"github.com/devenv-dev/devenv/vpn/wg"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// prodUpstream is the "production" HTTP server: it echoes the injected
// credentials, counts what reached it, streams on /stream until the
// client goes, and on /break sends part of a response and then drops its
// connection.
func prodUpstream(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/break" {
			w.Header().Set("Content-Length", "100000")
			io.WriteString(w, strings.Repeat("x", 1000))
			w.(http.Flusher).Flush()
			if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
				c.Close()
			}
			return
		}
		if r.URL.Path == "/stream" {
			for r.Context().Err() == nil {
				if _, err := io.WriteString(w, "tick\n"); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				time.Sleep(20 * time.Millisecond) // not an event: a live stream ticks until it is cut
			}
			return
		}
		fmt.Fprintf(w, "%s %s as %s", r.Method, r.URL.Path, r.Header.Get("Authorization"))
	}))
	t.Cleanup(s.Close)
	return s
}

// testConfig is a gateway configuration for hub, upstream and any free
// UDP port, with targets web (i=0) and other (i=1) on upstream, and echo (i=2),
// a tcp target on a line echo server.
func testConfig(t *testing.T, hub *fakeHub, upstream, stateDir string, grace time.Duration) *Config {
	t.Setenv("WEB_TOKEN", "prod-secret")
	text := fmt.Sprintf(`hub: {url: %s, fingerprint: %s, token: gw-token}
wireguard: {listen_port: 0, endpoint: "127.0.0.1:0"}
state_dir: %s
grace: %s
targets:
  - {name: web, protocol: http, upstream: %s, credentials: {env: WEB_TOKEN}, max_ttl: 1h, approver_role: approver}
  - {name: other, protocol: http, upstream: %s, max_ttl: 1h, approver_role: approver}
  - {name: echo, protocol: tcp, upstream: "%s", read_only_upstream: true, max_ttl: 1h}
`, hub.srv.URL, fingerprintOf(hub), stateDir, grace, upstream, upstream, echoServer(t))
	c, err := ParseConfig("gw.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fingerprintOf is the hub's fingerprint as an operator might paste it.
func fingerprintOf(h *fakeHub) string {
	return strings.ToUpper(hubclient.Fingerprint(h.srv.Certificate().Raw))
}

// echoServer echoes whatever it reads, on loopback.
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
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// startGateway runs a gateway until the test ends or stop is called.
func startGateway(t *testing.T, c *Config, hub Hub) (gw *Gateway, stop func()) {
	t.Helper()
	return startGatewayWith(t, Options{Config: c, Hub: hub})
}

// startGatewayWith is startGateway with more options (a clock, hooks).
func startGatewayWith(t *testing.T, o Options) (gw *Gateway, stop func()) {
	t.Helper()
	o.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if o.pollAlive == 0 {
		o.pollAlive = 3 * time.Second
	}
	gw, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = gw.Run(ctx)
	}()
	stop = func() {
		cancel()
		<-done
	}
	t.Cleanup(stop)
	return gw, stop
}

// testWriter sends the gateway's log to the test's, while it runs.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// client is a developer's access tunnel: a netstack device with a grant's
// key, peered with the gateway.
type client struct {
	dev   wg.NetstackDevice
	grant hubapi.Grant
	gw    *Config
}

var nextClient = 9

func newClient(t *testing.T, gw *Gateway, target string, notAfter time.Time) *client {
	t.Helper()
	key, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	nextClient++
	addr := netip.MustParseAddr(fmt.Sprintf("100.101.0.%d", nextClient))
	d, err := wg.Open(wg.Options{Backend: wg.BackendNetstack, Config: wg.Config{PrivateKey: key, Address: netip.PrefixFrom(addr, 32)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	gwAddr := gw.cfg.GatewayAddress()
	if err := d.SetPeer(wg.Peer{PublicKey: gw.PublicKey(), Endpoint: gw.Endpoint(),
		AllowedIPs: []netip.Prefix{netip.PrefixFrom(gwAddr, 32)}}); err != nil {
		t.Fatal(err)
	}
	return &client{dev: d.(wg.NetstackDevice), gw: gw.cfg, grant: hubapi.Grant{
		RequestID: fmt.Sprintf("req-%d", nextClient), Requester: "alice", Target: target, Protocol: "http",
		PublicKey: key.PublicKey().String(), ClientAddress: addr.String() + "/32", NotAfter: notAfter,
	}}
}

// http is an HTTP client whose connections go through the tunnel; each
// request uses a new connection.
func (c *client) http() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: c.dev.DialContext, DisableKeepAlives: true}}
}

// url is a target's base URL on the tunnel.
func (c *client) url(i int) string { return "http://" + c.gw.TargetAddress(i).String() }

// get GETs path on target i, giving up after a second.
func (c *client) get(t *testing.T, i int, path string) (int, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.url(i)+path, nil)
	resp, err := c.http().Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// stream starts GET /stream on target 0 and returns a channel that
// receives the time the stream was cut.
func (c *client) stream(t *testing.T) <-chan time.Time {
	t.Helper()
	resp, err := c.http().Get(c.url(0) + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	cut := make(chan time.Time, 1)
	go func() {
		defer resp.Body.Close()
		buf := make([]byte, 512)
		for {
			if _, err := resp.Body.Read(buf); err != nil {
				cut <- time.Now()
				return
			}
		}
	}()
	return cut
}

// peerCount is the number of peers of the gateway's device.
func peerCount(t *testing.T, gw *Gateway) int {
	ps, err := gw.dev.Peers()
	if err != nil {
		t.Fatal(err)
	}
	return len(ps)
}

// expectCut waits for a stream's end and checks it came within 1 s after
// at (scaled on a slow machine): how soon a cut follows is what its
// callers check.
func expectCut(t *testing.T, cut <-chan time.Time, at time.Time, what string) {
	t.Helper()
	when := testutil.Receive(t, what+": the stream cut", cut)
	late := when.Sub(at)
	t.Logf("%s: the live stream was cut %v after the deadline", what, late)
	if late > testutil.Scaled(time.Second) || late < -50*time.Millisecond {
		t.Errorf("%s: cut %v after the deadline; want within %v", what, late, testutil.Scaled(time.Second))
	}
}

// hasPath reports whether recs hold an operation on path.
func hasPath(recs []hubapi.AuditRecord, path string) bool {
	for _, r := range recs {
		if r.Action == "operation" && r.Detail["path"] == path {
			return true
		}
	}
	return false
}

// renew replaces the client's gateway peer with gw, dropping its session,
// so that the next packet starts a handshake at once, as an access client
// does when its tunnel stops answering (a restarted gateway has no session
// with it, and may have another port).
func (c *client) renew(t *testing.T, gw *Gateway) {
	t.Helper()
	if err := c.dev.RemovePeer(gw.PublicKey()); err != nil {
		t.Fatal(err)
	}
	gwAddr := c.gw.GatewayAddress()
	if err := c.dev.SetPeer(wg.Peer{PublicKey: gw.PublicKey(), Endpoint: gw.Endpoint(),
		AllowedIPs: []netip.Prefix{netip.PrefixFrom(gwAddr, 32)}}); err != nil {
		t.Fatal(err)
	}
}
