package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"time"

	"github.com/devenv-dev/devenv/access/proxy/httpproxy"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/wg"
)

type serveOptions struct {
	upstream string
	addrFile string
	verbose  bool
}

func parseServe(name string, args []string) (serveOptions, error) {
	var o serveOptions
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&o.upstream, "upstream", "", "the upstream's base URL (required)")
	fs.StringVar(&o.addrFile, "addr-file", "", "write the 127.0.0.1 address served here")
	fs.BoolVar(&o.verbose, "v", false, "the gateway's info log on stderr")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.upstream == "" {
		return o, fmt.Errorf("-upstream is required")
	}
	return o, nil
}

// runProxy serves the read-only HTTP proxy's ServeHTTP on a plain
// net/http server on loopback: the proxy alone, no tunnel, no grant, no
// audit records (those come with the gateway's sessions).
func runProxy(ctx context.Context, args []string) error {
	o, err := parseServe("proxy", args)
	if err != nil {
		return err
	}
	u, err := url.Parse(o.upstream)
	if err != nil {
		return err
	}
	p, err := httpproxy.New(httpproxy.Options{Upstream: u,
		Header: http.Header{"Authorization": {"Bearer bench-secret"}}, Logger: quietLog(o.verbose)})
	if err != nil {
		return err
	}
	defer p.Close()
	return serveLoopback(ctx, p, o.addrFile)
}

// runTunnel serves the whole path on loopback: a gateway with one grant
// lasting a day, and its client's netstack device; connections to the
// 127.0.0.1 address are forwarded into the tunnel with wg.Forward, as
// access.Connect does, and reach the target through the gateway's
// listener, its grant check, the proxy and its audit records.
func runTunnel(ctx context.Context, args []string) error {
	o, err := parseServe("tunnel", args)
	if err != nil {
		return err
	}
	stateDir, err := os.MkdirTemp("", "accessbench-gw-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stateDir)
	r, err := startGateway(o.upstream, stateDir, quietLog(o.verbose))
	if err != nil {
		return err
	}
	defer r.stop()
	c, err := r.openClient(netip.MustParseAddr("100.101.0.10"), "bench-tunnel", time.Now().Add(24*time.Hour))
	if err != nil {
		return err
	}
	defer c.dev.Close()
	applyCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := r.hub.waitApplied(applyCtx, r.hub.set([]hubapi.Grant{c.grant})); err != nil {
		return fmt.Errorf("the gateway did not take the grant: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	if err := writeAddr(o.addrFile, l.Addr().String()); err != nil {
		l.Close()
		return err
	}
	err = wg.Forward(ctx, l, c.dev.DialContext, c.target)
	fmt.Fprintf(os.Stderr, "tunnel: the hub received %d audit records\n", r.hub.auditRecords())
	return err
}
