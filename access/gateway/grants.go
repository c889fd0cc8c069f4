package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/devenv-dev/devenv/internal/clock"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/wg"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// Causes of a grant's end, the cause of its context.
var (
	ErrExpired  = errors.New("the grant reached its deadline")
	ErrRevoked  = errors.New("the grant was revoked")
	ErrHubLost  = errors.New("the hub has been unreachable for longer than the grace; the gateway failed closed")
	ErrShutdown = errors.New("the gateway is shutting down")
)

// activeGrant is a grant the gateway enforces. ctx's deadline is NotAfter;
// its end removes the peer and closes the grant's connections.
type activeGrant struct {
	hubapi.Grant
	key    wg.Key
	client netip.Addr
	ctx    context.Context
	cancel context.CancelCauseFunc
	conns  sync.WaitGroup // the grant's connections being served
	// sessions counts them against the target's limits.
	sessions sessionCount
}

// parseGrant checks what the gateway needs of a grant.
func parseGrant(g hubapi.Grant) (wg.Key, netip.Prefix, error) {
	k, err := wgtypes.ParseKey(g.PublicKey)
	if err != nil {
		return wg.Key{}, netip.Prefix{}, fmt.Errorf("grant %s: public key: %w", g.RequestID, err)
	}
	p, err := netip.ParsePrefix(g.ClientAddress)
	if err != nil {
		a, aerr := netip.ParseAddr(g.ClientAddress)
		if aerr != nil {
			return wg.Key{}, netip.Prefix{}, fmt.Errorf("grant %s: client address %q: %w", g.RequestID, g.ClientAddress, err)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if !p.IsSingleIP() {
		return wg.Key{}, netip.Prefix{}, fmt.Errorf("grant %s: client address %s: want one address", g.RequestID, p)
	}
	return k, p, nil
}

// sameGrant reports whether an active grant is what the hub now says.
func sameGrant(a *activeGrant, g hubapi.Grant) bool {
	return a.PublicKey == g.PublicKey && a.ClientAddress == g.ClientAddress &&
		a.Target == g.Target && a.NotAfter.Equal(g.NotAfter)
}

// applyGrants makes the enforced grants the hub's set: grants that left it
// are revoked, new ones armed. The set is saved for restarts.
func (gw *Gateway) applyGrants(gg hubapi.GatewayGrants) {
	want := map[string]hubapi.Grant{}
	for _, g := range gg.Grants {
		want[g.RequestID] = g
	}
	gw.mu.Lock()
	for id, a := range gw.grants {
		if g, ok := want[id]; !ok || !sameGrant(a, g) {
			a.cancel(ErrRevoked)
		}
	}
	var arm []hubapi.Grant
	for id, g := range want {
		if a, ok := gw.grants[id]; !ok || a.ctx.Err() != nil {
			arm = append(arm, g)
		}
	}
	gw.mu.Unlock()
	for _, g := range arm {
		gw.arm(g)
	}
	if err := saveGrants(gw.cfg.StateDir, savedGrants{Version: gg.Version, Grants: gg.Grants}); err != nil {
		gw.log.Error("saving grants", "err", err)
	}
}

// arm starts enforcing a grant: its peer is set and its deadline armed. An
// expired grant, or any grant while the gateway has failed closed, is not.
func (gw *Gateway) arm(g hubapi.Grant) {
	key, client, err := parseGrant(g)
	if err != nil {
		gw.log.Error("ignoring a grant", "err", err)
		return
	}
	i := gw.targetIndex(g.Target)
	if i < 0 {
		gw.log.Error("ignoring a grant for a target this gateway does not serve", "request", g.RequestID, "target", g.Target)
		return
	}
	now := gw.clock.Now()
	if !now.Before(g.NotAfter) {
		return
	}
	// The gateway's own max_ttl bounds every grant, whatever the hub says.
	if limit := now.Add(gw.cfg.Targets[i].MaxTTL); gw.cfg.Targets[i].MaxTTL > 0 && g.NotAfter.After(limit) {
		gw.log.Warn("the hub's grant outlasts the target's max_ttl: capped", "request", g.RequestID, "target", g.Target,
			"hub_not_after", g.NotAfter, "not_after", limit, "max_ttl", gw.cfg.Targets[i].MaxTTL)
		g.NotAfter = limit
	}
	cctx, cancel := context.WithCancelCause(gw.ctx)
	ctx, release := clock.WithDeadline(cctx, gw.clock, g.NotAfter, ErrExpired)
	a := &activeGrant{Grant: g, key: key, client: client.Addr(), ctx: ctx, cancel: cancel}
	if err := gw.enforce(a, client); err != nil {
		cancel(err)
		release()
		return
	}
	gw.log.Info("grant active", "request", g.RequestID, "requester", g.Requester, "target", g.Target,
		"client", a.client, "not_after", g.NotAfter)
	gw.record(hubapi.AuditRecord{Action: "grant", Target: g.Target, RequestID: g.RequestID, Verdict: "allowed",
		Detail: map[string]string{"requester": g.Requester, "client": a.client.String(), "not_after": g.NotAfter.Format(time.RFC3339Nano)}})
	// Only now may the grant end: close waits for it (enforce counted it in
	// gw.ending) and so finds its record in the spool before closing it.
	context.AfterFunc(ctx, func() {
		defer gw.ending.Done()
		release()
		gw.ended(a)
	})
}

// enforce sets a grant's peer and makes it the grant of its client address,
// unless the gateway has failed closed or is shutting down; it counts the
// grant in gw.ending, which the caller marks done once the grant ended.
func (gw *Gateway) enforce(a *activeGrant, client netip.Prefix) error {
	gw.mu.Lock()
	defer gw.mu.Unlock()
	if gw.failedClosed {
		return ErrHubLost
	}
	if err := context.Cause(gw.ctx); err != nil {
		return err
	}
	if old := gw.grants[a.RequestID]; old != nil {
		gw.dropLocked(old) // ended, its connections closing
	}
	if err := gw.dev.SetPeer(wg.Peer{PublicKey: a.key, AllowedIPs: []netip.Prefix{client}}); err != nil {
		gw.log.Error("setting a grant's peer", "request", a.RequestID, "err", err)
		return err
	}
	gw.grants[a.RequestID] = a
	gw.byClient[a.client] = a
	gw.ending.Add(1) // under gw.mu with gw.ctx alive: before close waits for it
	return nil
}

// ended runs once a grant's context ends. The grant's connections, whose
// contexts are its children, are closing already; once they are closed
// (or after closeWait) and their last packets had a moment to leave, the
// peer goes, so the client sees its connections end rather than stall.
// No connection is admitted in between: the grant's context is done.
func (gw *Gateway) ended(a *activeGrant) {
	cause := context.Cause(a.ctx)
	closed := make(chan struct{})
	// Wait starts under gw.mu, after every admit that saw a.ctx alive has
	// counted its connection; admits after it see a.ctx done.
	gw.mu.Lock()
	go func() {
		a.conns.Wait()
		close(closed)
	}()
	gw.mu.Unlock()
	select {
	case <-closed:
		time.Sleep(closeLinger)
	case <-time.After(closeWait):
	}
	gw.mu.Lock()
	gw.dropLocked(a)
	gw.mu.Unlock()
	if errors.Is(cause, ErrShutdown) {
		return // kept for the restart
	}
	action, detail := "revoke", map[string]string{"reason": cause.Error()}
	if errors.Is(cause, ErrExpired) {
		late := gw.clock.Now().Sub(a.NotAfter)
		action, detail = "expire", map[string]string{"late": late.String()}
		gw.log.Info("grant expired", "request", a.RequestID, "target", a.Target, "late", late)
	} else {
		gw.log.Info("grant cut", "request", a.RequestID, "target", a.Target, "cause", cause)
	}
	gw.record(hubapi.AuditRecord{Action: action, Target: a.Target, RequestID: a.RequestID, Detail: detail})
}

// How long an ended grant's peer outlives its connections: closeWait at
// most for them to close, and closeLinger for their last packets.
const (
	closeWait   = 300 * time.Millisecond
	closeLinger = 50 * time.Millisecond
)

// dropLocked stops enforcing a grant, if it is still the one enforced: its
// peer is removed, so its key can no longer reach the gateway. Peers change
// under gw.mu only, so that a grant replaced under the same key keeps its
// new peer.
func (gw *Gateway) dropLocked(a *activeGrant) {
	if gw.grants[a.RequestID] != a {
		return
	}
	delete(gw.grants, a.RequestID)
	if gw.byClient[a.client] == a {
		delete(gw.byClient, a.client)
	}
	if err := gw.dev.RemovePeer(a.key); err != nil && gw.ctx.Err() == nil {
		gw.log.Error("removing a grant's peer", "request", a.RequestID, "err", err)
	}
}

// admit returns the active grant of a client address, or nil, counting a
// connection of it; the caller calls a.conns.Done when it ends.
func (gw *Gateway) admit(client netip.Addr) *activeGrant {
	gw.mu.Lock()
	defer gw.mu.Unlock()
	a := gw.byClient[client.Unmap()]
	if a == nil || a.ctx.Err() != nil {
		return nil
	}
	a.conns.Add(1) // under gw.mu, which ended takes before it waits
	return a
}

// failClosed cuts every grant and refuses new ones until the hub answers.
func (gw *Gateway) failClosed() {
	gw.mu.Lock()
	defer gw.mu.Unlock()
	if gw.failedClosed {
		return
	}
	gw.failedClosed = true
	gw.log.Warn("the hub has been unreachable longer than the grace; cutting every grant", "grace", gw.cfg.Grace, "grants", len(gw.grants))
	for _, a := range gw.grants {
		a.cancel(ErrHubLost)
	}
}
