// Command vpnpair opens one devenv WireGuard device (vpn/wg, userspace
// backend) in the current network namespace, gives it the peers named on
// the command line, and keeps it up until it is interrupted. bench/vpn.sh
// runs it in namespaces; a device with no -peer is configured with `wg set`.
//
//	vpnpair -name wga -key PRIVATE -addr 10.200.0.2/32 -route 10.200.0.0/16 \
//	    -peer PUBLIC,10.9.0.1:51820,10.200.0.0/16
package main

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/devenv-dev/devenv/vpn/wg"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "vpnpair:", err)
		os.Exit(1)
	}
}

func run() error {
	var routes, peers listFlag
	name := flag.String("name", "wg0", "interface name")
	key := flag.String("key", "", "private key (base64, as wg genkey prints)")
	addr := flag.String("addr", "", "the device's address, e.g. 10.200.0.2/32")
	port := flag.Int("port", 51820, "UDP listen port")
	flag.Var(&routes, "route", "prefix routed into the device (repeat)")
	flag.Var(&peers, "peer", "PUBLIC,ENDPOINT,ALLOWED[+ALLOWED…] (repeat; ENDPOINT may be empty)")
	keepalive := flag.Duration("keepalive", 0, "persistent keepalive of every -peer")
	flag.Parse()

	priv, err := wgtypes.ParseKey(*key)
	if err != nil {
		return fmt.Errorf("-key: %w", err)
	}
	a, err := netip.ParsePrefix(*addr)
	if err != nil {
		return fmt.Errorf("-addr: %w", err)
	}
	cfg := wg.Config{Name: *name, PrivateKey: priv, ListenPort: *port, Address: a}
	for _, r := range routes {
		p, err := netip.ParsePrefix(r)
		if err != nil {
			return fmt.Errorf("-route: %w", err)
		}
		cfg.Routes = append(cfg.Routes, p)
	}
	dev, err := wg.Open(wg.Options{Config: cfg, Backend: wg.BackendUserspace})
	if err != nil {
		return err
	}
	defer dev.Close()
	for _, s := range peers {
		p, err := parsePeer(s)
		if err != nil {
			return err
		}
		p.Keepalive = *keepalive
		if err := dev.SetPeer(p); err != nil {
			return err
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	return nil
}

func parsePeer(s string) (wg.Peer, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return wg.Peer{}, fmt.Errorf("-peer %q: want PUBLIC,ENDPOINT,ALLOWED", s)
	}
	k, err := wgtypes.ParseKey(parts[0])
	if err != nil {
		return wg.Peer{}, fmt.Errorf("-peer %q: %w", s, err)
	}
	p := wg.Peer{PublicKey: k, Endpoint: parts[1]}
	for _, a := range strings.Split(parts[2], "+") {
		pfx, err := netip.ParsePrefix(a)
		if err != nil {
			return wg.Peer{}, fmt.Errorf("-peer %q: %w", s, err)
		}
		p.AllowedIPs = append(p.AllowedIPs, pfx)
	}
	return p, nil
}
