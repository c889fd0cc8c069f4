package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"time"

	"github.com/devenv-dev/devenv/vpn"
)

// propagation is how soon new nodes become reachable from an existing one.
type propagation struct {
	aUp      time.Duration // node a's start until the hub answers it through the tunnel
	aBackend string        // a's device backend, as its log says
	rounds   []round
	failed   []string // rounds whose node a never reached
}

// round is one new device b: enrolled, then started and waited for.
type round struct {
	name  string
	addr  netip.Addr    // b's tunnel address
	join  time.Duration // devenv vpn join, the process's whole run
	reach time.Duration // devenv vpn up --foreground started until a's ping is answered
}

// propagation brings up the existing node a, then, round after round, a new
// device b in a new namespace: it joins, its node starts, and a pings its
// tunnel address every probeEvery until it answers. Each b stays enrolled
// (and is stopped), so each round's b is one more device on the hub.
func (l *lab) propagation(ctx context.Context) (propagation, error) {
	var pr propagation
	p, err := newProber(l.a)
	if err != nil {
		return pr, err
	}
	defer p.close()
	dir := filepath.Join(l.o.work, "a")
	if _, err := l.join(ctx, l.a, "a", dir); err != nil {
		return pr, err
	}
	start := time.Now()
	node, err := l.up(ctx, l.a, "a", dir)
	if err != nil {
		return pr, err
	}
	hubAddr := l.o.network.Masked().Addr().Next()
	at, err := p.reach(ctx, hubAddr, l.o.timeout)
	if err != nil {
		return pr, fmt.Errorf("node a does not reach the hub at %s through the tunnel (log: %s): %w", hubAddr, node.log, err)
	}
	pr.aUp, pr.aBackend = at.Sub(start), logMatch(node.log, nodeBackendRE)
	for i := 1; i <= l.o.rounds; i++ {
		r, err := l.round(ctx, p, i)
		switch {
		case errors.Is(err, errNotReached):
			pr.failed = append(pr.failed, err.Error())
		case err != nil:
			return pr, err
		default:
			pr.rounds = append(pr.rounds, r)
		}
	}
	return pr, nil
}

func (l *lab) round(ctx context.Context, p *prober, i int) (round, error) {
	r := round{name: fmt.Sprintf("b%d", i)}
	h, err := l.net.Host(r.name, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 9, 0, byte(10 + i)}), 24))
	if err != nil {
		return r, err
	}
	dir := filepath.Join(l.o.work, r.name)
	if r.join, err = l.join(ctx, h, r.name, dir); err != nil {
		return r, err
	}
	st, err := vpn.LoadState(dir)
	if err != nil {
		return r, err
	}
	r.addr = st.Address.Addr()
	start := time.Now()
	node, err := l.up(ctx, h, r.name, dir)
	if err != nil {
		return r, err
	}
	defer node.stop()
	at, err := p.reach(ctx, r.addr, l.o.timeout)
	if err != nil {
		return r, fmt.Errorf("a → %s (%s) within %v (log: %s): %w", r.name, r.addr, l.o.timeout, node.log, err)
	}
	r.reach = at.Sub(start)
	return r, nil
}
