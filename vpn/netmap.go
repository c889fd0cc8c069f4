package vpn

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
	"github.com/devenv-dev/devenv/vpn/wg"
)

// backoff is how long the node waits before asking an unreachable hub again.
type backoff struct{ min, max time.Duration }

var defaultBackoff = backoff{min: 500 * time.Millisecond, max: 15 * time.Second}

func (b backoff) next(d time.Duration) time.Duration {
	if d == 0 {
		return b.min
	}
	return min(2*d, b.max)
}

// follow long-polls the hub's network map and applies each new version,
// until ctx ends or the device is revoked.
func (n *Node) follow(ctx context.Context) error {
	st := n.state()
	c := hubclient.New(st.HubURL, st.Fingerprint, st.Token)
	defer c.Close()
	var since uint64 // 0: the first answer comes at once and resyncs the device
	var wait time.Duration
	for {
		nm, err := c.NetMap(ctx, since)
		if err == nil {
			wait = 0
			if n.hubAnswered() {
				n.renewHubPeer()
			}
			if nm.Revoked {
				return n.revoked()
			}
			if nm.Version != since {
				n.apply(nm)
			}
			since = nm.Version
			continue
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if errors.Is(err, hubclient.ErrRevoked) || errors.Is(err, hubclient.ErrUnauthorized) {
			return n.revoked()
		}
		wait = retry(n, err, wait)
		// Ask for the current map once the hub answers again, rather than
		// long-polling: the node learns at once that the hub is back.
		since = 0
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(wait):
		}
	}
}

// retry records a failed long-poll and returns how long to wait.
func retry(n *Node, err error, last time.Duration) time.Duration {
	wait := n.retry.next(last)
	n.mu.Lock()
	first := n.hubErr == nil
	n.hubErr = err
	n.mu.Unlock()
	if first {
		n.emit(EventHubLost, "%v; retrying", err)
	}
	return wait
}

// hubAnswered records a long-poll answer and says whether the hub had been
// lost.
func (n *Node) hubAnswered() bool {
	n.mu.Lock()
	lost := n.hubErr != nil
	n.hubErr = nil
	n.mu.Unlock()
	if lost {
		n.emit(EventHubBack, "the hub answers again")
	}
	return lost
}

// renewHubPeer re-creates the hub peer after the hub was lost. A restarted
// hub has forgotten the tunnel's session, and a node that moved networks
// may have a stale one; WireGuard would notice only after 15 s or more
// without answers, while a new peer (with its keepalive) handshakes at once.
func (n *Node) renewHubPeer() {
	st := n.state()
	n.mu.Lock()
	dev := n.dev
	n.mu.Unlock()
	p, err := hubPeer(st.Hub, st.Network)
	if err == nil {
		err = dev.RemovePeer(p.PublicKey)
	}
	if err == nil {
		err = dev.SetPeer(p)
	}
	if err != nil {
		n.emit(EventDeviceError, "renewing the hub's tunnel: %v", err)
	}
}

// revoked closes the device at once: no traffic may pass after a revoke.
func (n *Node) revoked() error {
	n.mu.Lock()
	dev := n.dev
	n.st.Revoked = true
	st := n.st
	n.mu.Unlock()
	dev.Close()
	n.emit(EventRevoked, "%v", ErrRevoked)
	if err := saveState(n.dir, st); err != nil {
		n.emit(EventDeviceError, "saving the revocation: %v", err)
	}
	return ErrRevoked
}

// apply brings the device and the saved state in step with a network map.
func (n *Node) apply(nm hubapi.NetMap) {
	n.mu.Lock()
	old, dev := n.st.Hub, n.dev
	network := n.st.Network
	n.st.Hub, n.st.NetMap = nm.Hub, nm.Version
	n.peers = nm.Peers
	st := n.st
	n.mu.Unlock()
	for _, ch := range planHub(old, nm.Hub, network) {
		if err := ch.apply(dev); err != nil {
			n.emit(EventDeviceError, "%v", err)
		}
	}
	if err := saveState(n.dir, st); err != nil {
		n.emit(EventDeviceError, "saving the network map: %v", err)
	}
	n.emit(EventNetMap, "network map %d: hub %s, %d other devices", nm.Version, nm.Hub.Endpoint, len(nm.Peers))
}

// change is one step that brings the device in step with the hub.
type change struct {
	remove *wg.Key  // remove this peer
	set    *wg.Peer // add or replace this peer
	err    error    // the hub sent something unusable
}

func (c change) apply(dev wg.Device) error {
	switch {
	case c.err != nil:
		return c.err
	case c.remove != nil:
		return dev.RemovePeer(*c.remove)
	case c.set != nil:
		return dev.SetPeer(*c.set)
	}
	return nil
}

func (c change) String() string {
	switch {
	case c.err != nil:
		return "error " + c.err.Error()
	case c.remove != nil:
		return "remove " + c.remove.String()
	case c.set != nil:
		return fmt.Sprintf("set %s endpoint=%s allowed=%v", c.set.PublicKey, c.set.Endpoint, c.set.AllowedIPs)
	}
	return "nothing"
}

// planHub says what the device needs when the hub's peer entry goes from old
// to new: nothing, a replacement of the peer, or a new key (remove the old
// peer, add the new one). It is pure and has a printable form for tests.
func planHub(old, new hubapi.HubPeer, network netip.Prefix) []change {
	if old.PublicKey == new.PublicKey && old.Endpoint == new.Endpoint && slices.Equal(old.AllowedIPs, new.AllowedIPs) {
		return nil
	}
	p, err := hubPeer(new, network)
	if err != nil {
		return []change{{err: fmt.Errorf("the hub sent an unusable peer: %w", err)}}
	}
	var plan []change
	if old.PublicKey != new.PublicKey {
		if k, err := wgtypes.ParseKey(old.PublicKey); err == nil {
			plan = append(plan, change{remove: &k})
		}
	}
	return append(plan, change{set: &p})
}
