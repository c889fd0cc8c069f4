package hub

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// Trust ends everywhere at once. Revoking a device ends every request and
// grant it asked for; removing a user ends all of theirs. Both happen in
// the transaction that revokes or removes, with an audit record saying
// why, and the gateways learn it from the grant stream and cut the live
// connections at once.

// mutateTrust runs fn in one transaction that may change both the LAN's
// peers and production access, and applies both after the commit.
func (h *Hub) mutateTrust(fn func(tx *bolt.Tx, pc *peerChanges, fx *accessEffects) error) error {
	var fx accessEffects
	var v uint64
	err := h.mutate(func(tx *bolt.Tx, pc *peerChanges) error {
		fx, v = accessEffects{}, 0
		if err := fn(tx, pc, &fx); err != nil || !fx.changed {
			return err
		}
		var err error
		v, err = bumpAccessVersion(tx)
		return err
	})
	if err != nil {
		return err
	}
	h.applyAccess(fx, v)
	return nil
}

// bumpAccessVersion advances the access version in tx and returns it.
func bumpAccessVersion(tx *bolt.Tx) (uint64, error) {
	v := accessVersion(tx) + 1
	return v, tx.Bucket(bucketMeta).Put(keyAccessVersion, binary.BigEndian.AppendUint64(nil, v))
}

// applyAccess does what a committed access change asks: long-polls wake
// (v > 0), timers are disarmed and armed, webhooks go out.
func (h *Hub) applyAccess(fx accessEffects, v uint64) {
	if v > 0 {
		h.accessChanges.advance(v)
	}
	for _, id := range fx.disarm {
		h.deadlines.disarm(id)
	}
	for id, at := range fx.arm {
		h.deadlines.arm(id, at, h.onDeadline)
	}
	for _, text := range fx.notify {
		h.webhook.send(text)
	}
}

// endTrustLocked revokes every pending request and active grant that
// match, as the hub, giving why.
func (h *Hub) endTrustLocked(tx *bolt.Tx, fx *accessEffects, why string, match func(requestRecord) bool) error {
	all, err := allRequests(tx)
	if err != nil {
		return err
	}
	now := h.clock.Now().UTC()
	for _, r := range all {
		if (r.State != hubapi.StatePending && r.State != hubapi.StateApproved) || !match(r) {
			continue
		}
		if err := h.endLocked(tx, fx, &r, hubapi.StateRevoked, actorHub, why, now); err != nil {
			return err
		}
		fx.notify = append(fx.notify, fmt.Sprintf("%s's request %s for %s ended: %s", r.Requester, r.ID, r.Target, why))
		h.log.Info("access ended", "request", r.ID, "user", r.Requester, "target", r.Target, "reason", why)
	}
	return nil
}
