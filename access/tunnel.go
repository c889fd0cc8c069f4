package access

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/wg"
)

// Tunnel timings: the keepalive keeps NAT mappings open towards the
// gateway; a dial through a tunnel that never handshakes gives up.
const (
	tunnelKeepalive = 15 * time.Second
	dialTimeout     = 15 * time.Second
)

// DefaultPort is the local port Connect prefers for a protocol, when it is
// free: the port clients of that protocol assume. 0: any free port.
func DefaultPort(protocol string) int {
	switch protocol {
	case hubapi.ProtocolHTTP:
		return 8080
	case hubapi.ProtocolPostgres:
		return 5432
	case hubapi.ProtocolRedis:
		return 6379
	}
	return 0
}

// AnyPort as ConnectOptions.Port listens on any free port, never the
// protocol's usual one (which a second tool may be waiting for).
const AnyPort = -1

// listenLocal listens on 127.0.0.1: on port, or (port 0) on the
// protocol's default port if it is free, else on any free port.
func listenLocal(port int, protocol string) (net.Listener, error) {
	if port > 0 {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			return nil, fmt.Errorf("listening on 127.0.0.1:%d: %w; pick another port with --port", port, err)
		}
		return l, nil
	}
	if def := DefaultPort(protocol); def != 0 && port != AnyPort {
		if l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(def))); err == nil {
			return l, nil
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening on 127.0.0.1: %w", err)
	}
	return l, nil
}

// openTunnel brings up a userspace device with the grant's key and
// address whose one peer is the gateway, reachable at its tunnel address
// and the target's.
func openTunnel(key wgtypes.Key, g hubapi.Grant) (wg.NetstackDevice, error) {
	addr, err := parseHost(g.ClientAddress)
	if err != nil {
		return nil, fmt.Errorf("the grant's client address: %w", err)
	}
	gwKey, err := wgtypes.ParseKey(g.Gateway.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("the gateway's public key %q: %w", g.Gateway.PublicKey, err)
	}
	allowed, err := gatewayIPs(g.Gateway)
	if err != nil {
		return nil, err
	}
	d, err := wg.Open(wg.Options{Config: wg.Config{PrivateKey: key, Address: addr}, Backend: wg.BackendNetstack})
	if err != nil {
		return nil, fmt.Errorf("opening the access tunnel: %w", err)
	}
	nd, ok := d.(wg.NetstackDevice)
	if !ok {
		d.Close()
		return nil, errors.New("opening the access tunnel: not a userspace device")
	}
	peer := wg.Peer{PublicKey: gwKey, Endpoint: g.Gateway.Endpoint, AllowedIPs: allowed, Keepalive: tunnelKeepalive}
	if err := nd.SetPeer(peer); err != nil {
		nd.Close()
		return nil, fmt.Errorf("adding gateway %s: %w", g.Gateway.Name, err)
	}
	return nd, nil
}

// gatewayIPs is what the tunnel routes to the gateway: its address, and
// the target listener's if that is another.
func gatewayIPs(gw hubapi.Gateway) ([]netip.Prefix, error) {
	a, err := parseHost(gw.Address)
	if err != nil {
		return nil, fmt.Errorf("the gateway's address: %w", err)
	}
	ap, err := netip.ParseAddrPort(gw.TargetAddress)
	if err != nil {
		return nil, fmt.Errorf("the target's address %q: want IP:PORT", gw.TargetAddress)
	}
	ips := []netip.Prefix{a}
	if t := netip.PrefixFrom(ap.Addr(), ap.Addr().BitLen()); t != a {
		ips = append(ips, t)
	}
	return ips, nil
}

// parseHost reads "100.101.0.9/32" or "100.101.0.9" as one host's prefix.
func parseHost(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		a := p.Addr()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// dialer bounds each dial through the tunnel.
func dialer(d wg.NetstackDevice) wg.DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		ctx, cancel := context.WithTimeout(ctx, dialTimeout)
		defer cancel()
		return d.DialContext(ctx, network, addr)
	}
}
