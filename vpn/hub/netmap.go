package hub

import (
	"context"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// NetMap returns the netmap of the token's device as soon as its version
// differs from since, or the current one after the long-poll timeout
// (25 s). A revoked device gets a netmap with Revoked set, at once.
func (h *Hub) NetMap(ctx context.Context, token string, since uint64) (hubapi.NetMap, error) {
	if err := h.tokenDelivered(token); err != nil {
		return hubapi.NetMap{}, err
	}
	nm, err := h.readNetMap(token)
	if err != nil || nm.Revoked || nm.Version != since {
		return nm, err
	}
	release, err := h.holdPoll("device " + nm.Self.ID)
	if err != nil {
		return hubapi.NetMap{}, err
	}
	defer release()
	h.metrics.waiters.Add(1)
	defer h.metrics.waiters.Add(-1)
	timer := time.NewTimer(h.opts.pollTimeout)
	defer timer.Stop()
	for {
		v, wake := h.changes.Current()
		if v != since {
			return h.readNetMap(token)
		}
		select {
		case <-wake:
		case <-timer.C:
			return h.readNetMap(token)
		case <-ctx.Done():
			return hubapi.NetMap{}, context.Cause(ctx)
		}
	}
}

// readNetMap builds the token device's netmap from one read transaction.
func (h *Hub) readNetMap(token string) (hubapi.NetMap, error) {
	var nm hubapi.NetMap
	err := h.db.View(func(tx *bolt.Tx) error {
		self, err := deviceByToken(tx, token)
		if err != nil {
			return err
		}
		nm = hubapi.NetMap{Version: version(tx), Self: self.api(), Hub: h.hubPeer, Revoked: self.Revoked}
		if self.Revoked {
			return nil
		}
		live, err := liveDevices(tx)
		for _, d := range live {
			if d.ID != self.ID {
				nm.Peers = append(nm.Peers, d.api())
			}
		}
		return err
	})
	return nm, err
}
