package gateway

import (
	"context"
	"time"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// Backoff of calls to an unreachable hub.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// pollAlive is how long an unanswered long-poll counts as contact with the
// hub: the hub answers within 25 s.
const pollAlive = 30 * time.Second

// maxSkew is the clock difference with the hub worth a warning: deadlines
// are the hub's times, enforced by this machine's clock.
const maxSkew = 2 * time.Second

// follow registers the targets and follows the hub's grant stream until ctx
// is done. After any failure it registers again, then asks for the whole
// current set.
func (gw *Gateway) follow(ctx context.Context) {
	var since uint64
	registered := false
	backoff := minBackoff
	for ctx.Err() == nil {
		var err error
		if !registered {
			if err = gw.register(ctx); err == nil {
				registered = true
				gw.hubAnswered()
			}
		} else {
			since, err = gw.poll(ctx, since)
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			gw.log.Warn("the hub did not answer", "err", err, "retry_in", backoff)
			registered, since = false, 0
			wait(ctx, nil, nil, backoff)
			backoff = min(2*backoff, maxBackoff)
			continue
		}
		backoff = minBackoff
	}
}

func (gw *Gateway) register(ctx context.Context) error {
	info, err := gw.hub.RegisterTargets(ctx, hubapi.RegisterTargets{
		PublicKey: gw.dev.PublicKey().String(),
		Endpoint:  gw.Endpoint(),
		Network:   gw.cfg.Network.String(),
		Targets:   gw.cfg.hubTargets(),
	})
	if err != nil {
		return err
	}
	gw.mu.Lock()
	if info.Name != "" {
		gw.name = info.Name
	}
	gw.mu.Unlock()
	gw.registeredOnce.Do(func() { close(gw.registered) })
	gw.log.Info("registered with the hub", "gateway", info.Name, "targets", len(gw.cfg.Targets))
	return nil
}

// poll waits for the next set of grants and enforces it.
func (gw *Gateway) poll(ctx context.Context, since uint64) (uint64, error) {
	gw.mu.Lock()
	gw.pollStart = gw.clock.Now()
	gw.mu.Unlock()
	gg, err := gw.hub.GatewayGrants(ctx, since)
	gw.mu.Lock()
	// The poll counted as contact while it was in flight (up to
	// pollAlive), so the grace runs from its end, not from the answer
	// before it, which may be a whole long-poll older.
	alive := gw.clock.Now()
	if limit := gw.pollStart.Add(gw.pollAlive); limit.Before(alive) {
		alive = limit
	}
	if alive.After(gw.lastContact) {
		gw.lastContact = alive
	}
	gw.pollStart = time.Time{}
	gw.mu.Unlock()
	if err != nil {
		gw.saveContact(contactSaveEvery)
		return since, err
	}
	gw.hubAnswered()
	if skew := gw.clock.Now().Sub(gg.Now); !gg.Now.IsZero() && (skew > maxSkew || skew < -maxSkew) {
		gw.log.Warn("this machine's clock differs from the hub's; deadlines follow this clock", "skew", skew)
	}
	gw.applyGrants(gg)
	return gg.Version, nil
}

// hubAnswered notes contact with the hub, ending a fail-closed state.
func (gw *Gateway) hubAnswered() {
	gw.mu.Lock()
	gw.lastContact = gw.clock.Now()
	resumed := gw.failedClosed
	gw.failedClosed = false
	gw.mu.Unlock()
	gw.saveContact(contactSaveEvery)
	if resumed {
		gw.log.Info("the hub answers again; enforcing its grants")
	}
	poke(gw.spool.retry)
}

// watch fails closed once the hub has been away for longer than the grace.
func (gw *Gateway) watch(ctx context.Context) {
	every := min(max(gw.cfg.Grace/10, 10*time.Millisecond), time.Second)
	tick := gw.clock.NewTimer(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C():
			lost := gw.hubLost(now)
			if lost {
				gw.failClosed()
			}
			if gw.watched != nil {
				gw.watched(lost)
			}
			tick.Reset(every)
		}
	}
}

func (gw *Gateway) hubLost(now time.Time) bool {
	gw.mu.Lock()
	defer gw.mu.Unlock()
	if !gw.pollStart.IsZero() && now.Sub(gw.pollStart) < gw.pollAlive {
		return false
	}
	return now.Sub(gw.lastContact) > gw.cfg.Grace
}

// lastHubContact is when the hub last answered, on the gateway's clock.
func (gw *Gateway) lastHubContact() time.Time {
	gw.mu.Lock()
	defer gw.mu.Unlock()
	return gw.lastContact
}
