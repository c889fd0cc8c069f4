package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/access/gateway"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/wg"
)

// target is the one target of the bench gateway, an http target (i=0).
const target = "web"

// gwRun is a gateway running in this process with its fake hub.
type gwRun struct {
	gw   *gateway.Gateway
	hub  *fakeHub
	cfg  *gateway.Config
	stop func()
}

// startGateway runs a gateway with one http target on upstream, its state
// in stateDir and its WireGuard device on any free loopback UDP port, until
// stop. The hub settings of the file are placeholders: the fake hub is
// passed in.
func startGateway(upstream, stateDir string, log *slog.Logger) (*gwRun, error) {
	os.Setenv("ACCESSBENCH_UPSTREAM_TOKEN", "bench-secret")
	text := fmt.Sprintf(`hub: {url: "https://hub.invalid", fingerprint: %s, token: bench}
wireguard: {listen_port: 0, endpoint: "127.0.0.1:0"}
state_dir: %s
targets:
  - {name: %s, protocol: http, upstream: "%s", credentials: {env: ACCESSBENCH_UPSTREAM_TOKEN}, max_ttl: 24h, approver_role: approver}
`, strings.Repeat("0", 64), stateDir, target, upstream)
	cfg, err := gateway.ParseConfig("accessbench.yaml", []byte(text))
	if err != nil {
		return nil, err
	}
	hub := newFakeHub()
	gw, err := gateway.New(gateway.Options{Config: cfg, Hub: hub, Logger: log})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = gw.Run(ctx)
	}()
	return &gwRun{gw: gw, hub: hub, cfg: cfg, stop: func() { cancel(); <-done }}, nil
}

// targetAddr is the target's listener on the tunnel.
func (r *gwRun) targetAddr() string {
	ap, _ := r.gw.TargetAddress(target)
	return ap.String()
}

// client is a developer's access tunnel: a netstack device with a grant's
// fresh key and address whose one peer is the gateway, as access.Connect
// opens it.
type client struct {
	dev    wg.NetstackDevice
	grant  hubapi.Grant
	target string // the target's listener on the tunnel, ip:port
}

func (r *gwRun) openClient(addr netip.Addr, id string, notAfter time.Time) (*client, error) {
	key, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		return nil, err
	}
	d, err := wg.Open(wg.Options{Backend: wg.BackendNetstack,
		Config: wg.Config{PrivateKey: key, Address: netip.PrefixFrom(addr, addr.BitLen())}})
	if err != nil {
		return nil, fmt.Errorf("opening client %s: %w", addr, err)
	}
	gwAddr := r.cfg.GatewayAddress()
	if err := d.SetPeer(wg.Peer{PublicKey: r.gw.PublicKey(), Endpoint: r.gw.Endpoint(),
		AllowedIPs: []netip.Prefix{netip.PrefixFrom(gwAddr, gwAddr.BitLen())}}); err != nil {
		d.Close()
		return nil, err
	}
	g := hubapi.Grant{RequestID: id, Requester: "bench", Target: target, Protocol: hubapi.ProtocolHTTP,
		PublicKey: key.PublicKey().String(), ClientAddress: addr.String() + "/32", NotAfter: notAfter}
	return &client{dev: d.(wg.NetstackDevice), grant: g, target: r.targetAddr()}, nil
}

// http is an HTTP client whose connections go through the tunnel.
func (c *client) http() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: c.dev.DialContext, DisableKeepAlives: true}}
}

// quietLog is the gateway's log on stderr at level (warnings by default).
func quietLog(verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}
