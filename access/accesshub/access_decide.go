package accesshub

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// Approve grants a pending request, optionally for less time than asked.
// The approver must be allowed by the target and is never the requester.
func (a *Access) Approve(token string, ap hubapi.ApproveRequest) (hubapi.Request, error) {
	if ap.For < 0 {
		return hubapi.Request{}, hub.ErrBadRequest.With("--for must be positive")
	}
	var r requestRecord
	err := a.accessUpdate(func(tx *bolt.Tx, fx *accessEffects) error {
		var c hub.Caller
		var err error
		if r, c, err = decidable(tx, token, ap.ID, a.clock.Now()); err != nil {
			return err
		}
		t, ok, err := getTarget(tx, r.Target)
		if err != nil {
			return err
		} else if !ok {
			return ErrTargetUnknown.With("target %s is no longer registered by its gateway; deny request %s", r.Target, r.ID)
		}
		if ap.For > r.For {
			return hub.ErrBadRequest.With("--for %s is longer than the %s asked for; approve for that or less", ap.For, r.For)
		}
		if ap.For > 0 {
			r.For = ap.For
		}
		// The target's max_ttl as its gateway registers it now: lowered
		// since the request was made, it holds for this approval too.
		if t.MaxTTL > 0 && r.For > t.MaxTTL {
			r.For = t.MaxTTL
		}
		now := a.clock.Now().UTC()
		r.Approver = c.User
		rec := hubapi.AuditRecord{Time: now, Actor: c.User, Action: "approve", Target: r.Target, RequestID: r.ID,
			Verdict: "allowed", Detail: map[string]string{"for": r.For.String()}}
		if err := hub.AppendAudit(tx, rec); err != nil {
			return err
		}
		fx.notify = append(fx.notify, fmt.Sprintf("%s approved %s's read-only access to %s for %s (request %s)", c.User, r.Requester, r.Target, r.For, r.ID))
		return a.grantLocked(tx, fx, &r, now)
	})
	if err != nil {
		a.auditRefused(token, "approve", "", ap.ID, err)
		return hubapi.Request{}, err
	}
	a.log.Info("access approved", "request", r.ID, "approver", r.Approver, "user", r.Requester, "target", r.Target, "not_after", r.NotAfter)
	return r.Request, nil
}

// decidable reads a pending request the token's user may decide.
func decidable(tx *bolt.Tx, token, id string, now time.Time) (requestRecord, hub.Caller, error) {
	c, err := hub.CallerOf(tx, token)
	if err != nil {
		return requestRecord{}, c, err
	}
	r, err := visibleRequest(tx, c, id)
	if c.Role == hubapi.RoleDeveloper && errors.Is(err, ErrRequestUnknown) {
		// Whether another's request or none: a developer decides nothing,
		// and hears the same either way.
		return r, c, errDeveloperDecides(c)
	}
	if err != nil {
		return r, c, err
	}
	t, ok, err := getTarget(tx, r.Target)
	if err != nil {
		return r, c, err
	}
	if err := checkDecider(c, r, t, ok); err != nil {
		return r, c, err
	}
	if r.State != hubapi.StatePending {
		return r, c, ErrNotPending.With("request %s is %s already", r.ID, r.State)
	}
	if !now.Before(r.LapseAt) {
		return r, c, ErrNotPending.With("request %s lapsed at %s; the requester may ask again", r.ID, r.LapseAt.Format(time.RFC3339))
	}
	return r, c, nil
}

// Deny refuses a pending request, with a reason the requester sees.
func (a *Access) Deny(token string, d hubapi.DenyRequest) (hubapi.Request, error) {
	if strings.TrimSpace(d.Reason) == "" {
		return hubapi.Request{}, hub.ErrBadRequest.With("give a reason (--reason): the requester and the audit trail need it")
	}
	var r requestRecord
	err := a.accessUpdate(func(tx *bolt.Tx, fx *accessEffects) error {
		var c hub.Caller
		var err error
		if r, c, err = decidable(tx, token, d.ID, a.clock.Now()); err != nil {
			return err
		}
		now := a.clock.Now().UTC()
		r.State, r.Decided, r.Approver, r.DenyReason = hubapi.StateDenied, now, c.User, d.Reason
		fx.disarm = append(fx.disarm, r.ID)
		fx.notify = append(fx.notify, fmt.Sprintf("%s denied %s's access to %s: %q (request %s)", c.User, r.Requester, r.Target, d.Reason, r.ID))
		rec := hubapi.AuditRecord{Time: now, Actor: c.User, Action: "deny", Target: r.Target, RequestID: r.ID,
			Verdict: "refused", Detail: map[string]string{"reason": d.Reason}}
		if err := hub.AppendAudit(tx, sealed(rec, r)); err != nil {
			return err
		}
		return putRequest(tx, fx, r)
	})
	if err != nil {
		a.auditRefused(token, "deny", "", d.ID, err)
		return hubapi.Request{}, err
	}
	a.log.Info("access denied", "request", r.ID, "approver", r.Approver, "user", r.Requester, "target", r.Target)
	return r.Request, nil
}

// RevokeGrant cuts a grant, or withdraws a pending request: the requester,
// an approver of the target or an admin may. A request that has ended
// already is returned as it is.
func (a *Access) RevokeGrant(token, id string) (hubapi.Request, error) {
	var r requestRecord
	err := a.accessUpdate(func(tx *bolt.Tx, fx *accessEffects) error {
		c, err := hub.CallerOf(tx, token)
		if err != nil {
			return err
		}
		if r, err = visibleRequest(tx, c, id); err != nil {
			return err
		}
		t, ok, err := getTarget(tx, r.Target)
		if err != nil {
			return err
		}
		if !mayRevoke(c, r, t, ok) {
			return hub.ErrForbidden.With("only %s, an approver of %s or an admin may revoke request %s", r.Requester, r.Target, r.ID)
		}
		if r.State != hubapi.StatePending && r.State != hubapi.StateApproved {
			return nil
		}
		now := a.clock.Now().UTC()
		return a.endLocked(tx, fx, &r, hubapi.StateRevoked, c.User, "", now)
	})
	if err != nil {
		a.auditRefused(token, "revoke", "", id, err)
		return hubapi.Request{}, err
	}
	a.log.Info("access revoked", "request", r.ID, "by", r.Approver, "state", r.State)
	return r.Request, nil
}

// mayRevoke reports whether c may revoke r: the requester, an approver
// of its target, or an admin.
func mayRevoke(c hub.Caller, r requestRecord, t hubapi.Target, targetKnown bool) bool {
	switch {
	case owns(c, r), c.Role == hubapi.RoleAdmin:
		return true
	case c.Role == hubapi.RoleApprover:
		return targetKnown && mayApprove(c, t)
	}
	return false
}

// grantLocked turns r into an active grant at now: it leases the client's
// tunnel address in the gateway's access network and records the grant.
func (a *Access) grantLocked(tx *bolt.Tx, fx *accessEffects, r *requestRecord, now time.Time) error {
	var gw gatewayRecord
	ok, err := hub.GetJSON(tx.Bucket(bucketGateways), r.Gateway, &gw)
	if err != nil {
		return err
	}
	if !ok || gw.Network == "" {
		return ErrTargetUnknown.With("gateway %s of target %s is gone; ask an admin", r.Gateway, r.Target)
	}
	network, err := netip.ParsePrefix(gw.Network)
	if err != nil {
		return fmt.Errorf("stored access network %q: %w", gw.Network, err)
	}
	addr, err := leaseGrantAddress(tx, gw.Name, network, r.ID)
	if err != nil {
		return err
	}
	r.State, r.Decided, r.NotAfter, r.ClientAddress = hubapi.StateApproved, now, now.Add(r.For), addr.String()
	fx.armAt(r.ID, r.NotAfter)
	rec := hubapi.AuditRecord{Time: now, Actor: hub.ActorHub, Action: "grant", Target: r.Target, RequestID: r.ID, Verdict: "allowed",
		Detail: map[string]string{"requester": r.Requester, "gateway": gw.Name, "client_address": r.ClientAddress,
			"public_key": r.PublicKey, "not_after": r.NotAfter.Format(time.RFC3339Nano)}}
	if err := hub.AppendAudit(tx, sealed(rec, *r)); err != nil {
		return err
	}
	return putRequest(tx, fx, *r)
}

// endLocked ends a pending request or an active grant: lapsed, revoked or
// expired. by is who ended it (a user, or the hub); why, if not empty, is
// what the audit record gives as the reason.
func (a *Access) endLocked(tx *bolt.Tx, fx *accessEffects, r *requestRecord, state, by, why string, now time.Time) error {
	action := map[string]string{hubapi.StateLapsed: "lapse", hubapi.StateRevoked: "revoke", hubapi.StateExpired: "expire"}[state]
	detail := map[string]string{"was": r.State}
	if why != "" {
		detail["reason"] = why
	}
	if r.State == hubapi.StateApproved {
		detail["not_after"] = r.NotAfter.Format(time.RFC3339Nano)
		if err := releaseGrantAddress(tx, r.Gateway, r.ClientAddress); err != nil {
			return err
		}
		r.ClientAddress = ""
	} else {
		r.Decided = now
	}
	r.State = state
	if state == hubapi.StateRevoked {
		r.Approver = by
	}
	fx.disarm = append(fx.disarm, r.ID)
	rec := hubapi.AuditRecord{Time: now, Actor: by, Action: action, Target: r.Target, RequestID: r.ID, Detail: detail}
	if err := hub.AppendAudit(tx, sealed(rec, *r)); err != nil {
		return err
	}
	return putRequest(tx, fx, *r)
}

// grantLeaseKey is the grantleases key of a gateway's address.
func grantLeaseKey(gateway string, addr netip.Addr) []byte {
	return append([]byte(gateway+"\x00"), addr.AsSlice()...)
}

// leaseGrantAddress leases the lowest free client address of a gateway's
// access network; the gateway keeps the first one.
func leaseGrantAddress(tx *bolt.Tx, gateway string, network netip.Prefix, id string) (netip.Addr, error) {
	leases := tx.Bucket(bucketGrantLeases)
	prefix := []byte(gateway + "\x00")
	cand := hub.FirstHost(network).Next()
	c := leases.Cursor()
	for k, _ := c.Seek(grantLeaseKey(gateway, cand)); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		taken, ok := netip.AddrFromSlice(k[len(prefix):])
		if !ok || taken != cand {
			break
		}
		cand = cand.Next()
	}
	if !hub.Usable(network, cand) {
		return netip.Addr{}, hub.ErrAddressSpaceFull.With("gateway %s has no free address left in %s; wait for a grant to end or ask an admin to widen its network", gateway, network)
	}
	return cand, leases.Put(grantLeaseKey(gateway, cand), []byte(id))
}

func releaseGrantAddress(tx *bolt.Tx, gateway, addr string) error {
	a, err := parseAddr(addr)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketGrantLeases).Delete(grantLeaseKey(gateway, a))
}

// hasGrants reports whether a gateway has addresses leased to grants.
func hasGrants(tx *bolt.Tx, gateway string) bool {
	prefix := []byte(gateway + "\x00")
	k, _ := tx.Bucket(bucketGrantLeases).Cursor().Seek(prefix)
	return k != nil && bytes.HasPrefix(k, prefix)
}
