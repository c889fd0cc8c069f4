package accesshub

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// Trust ends everywhere at once. Revoking a device ends every request and
// grant it asked for; removing a user ends all of theirs. Both happen in
// the hub's transaction that revokes or removes (hub.Extension.EndTrust),
// with an audit record saying why, and the gateways learn it from the
// grant stream and cut the live connections at once.

// EndTrust ends, inside tx, the pending requests and active grants of the
// revoked device (and those of its user recorded before requests named
// their device), or of the removed user.
func (a *Access) EndTrust(tx *bolt.Tx, end hub.TrustEnd) (after func(), err error) {
	match := func(r requestRecord) bool { return r.Requester == end.User }
	if end.Device != "" {
		match = func(r requestRecord) bool {
			return r.Device == end.Device || (r.Device == "" && r.Requester == end.User)
		}
	}
	var fx accessEffects
	if err := a.endTrustLocked(tx, &fx, end.Why, match); err != nil || !fx.changed {
		return nil, err
	}
	v, err := bumpAccessVersion(tx)
	if err != nil {
		return nil, err
	}
	return func() { a.applyAccess(fx, v) }, nil
}

// applyAccess does what a committed access change asks: long-polls wake
// (v > 0), timers are disarmed and armed, webhooks go out.
func (a *Access) applyAccess(fx accessEffects, v uint64) {
	if v > 0 {
		a.accessChanges.Advance(v)
	}
	for _, id := range fx.disarm {
		a.deadlines.disarm(id)
	}
	for id, at := range fx.arm {
		a.deadlines.arm(id, at, a.onDeadline)
	}
	for _, text := range fx.notify {
		a.hub.Notify(text)
	}
}

// endTrustLocked revokes every pending request and active grant that
// match, as the hub, giving why.
func (a *Access) endTrustLocked(tx *bolt.Tx, fx *accessEffects, why string, match func(requestRecord) bool) error {
	all, err := allRequests(tx)
	if err != nil {
		return err
	}
	now := a.clock.Now().UTC()
	for _, r := range all {
		if (r.State != hubapi.StatePending && r.State != hubapi.StateApproved) || !match(r) {
			continue
		}
		if err := a.endLocked(tx, fx, &r, hubapi.StateRevoked, hub.ActorHub, why, now); err != nil {
			return err
		}
		fx.notify = append(fx.notify, fmt.Sprintf("%s's request %s for %s ended: %s", r.Requester, r.ID, r.Target, why))
		a.log.Info("access ended", "request", r.ID, "user", r.Requester, "target", r.Target, "reason", why)
	}
	return nil
}
