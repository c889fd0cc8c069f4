package accesshub

import (
	"bytes"
	"context"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// Grant returns the grant of request id to its requester. While the
// request is pending it answers ErrPending, or with wait first waits up to
// the long-poll timeout (25 s) for a decision. A request that ended
// answers ErrGrantEnded saying how.
func (a *Access) Grant(ctx context.Context, token, id string, wait bool) (hubapi.Grant, error) {
	timer := time.NewTimer(a.opts.pollTimeout)
	defer timer.Stop()
	release := func() {}
	defer func() { release() }()
	for held := false; ; held = true {
		_, wake := a.accessChanges.Current()
		g, err := a.readGrant(token, id)
		if !wait || !errors.Is(err, ErrPending) {
			a.auditRefused(token, "read_grant", "", id, err)
			return g, err
		}
		if !held {
			r, err := a.holdDevicePoll(token)
			if err != nil {
				return hubapi.Grant{}, err
			}
			release = r
		}
		select {
		case <-wake:
		case <-timer.C:
			wait = false
		case <-ctx.Done():
			return hubapi.Grant{}, context.Cause(ctx)
		}
	}
}

// readGrant reads the grant of request id for the token's user.
func (a *Access) readGrant(token, id string) (hubapi.Grant, error) {
	var g hubapi.Grant
	err := a.db.View(func(tx *bolt.Tx) error {
		c, err := hub.CallerOf(tx, token)
		if err != nil {
			return err
		}
		r, err := visibleRequest(tx, c, id)
		if err != nil {
			return err
		}
		if !owns(c, r) {
			return hub.ErrForbidden.With("request %s is not yours; only its requester fetches its grant", r.ID)
		}
		if r.State == hubapi.StateApproved && !a.clock.Now().Before(r.NotAfter) {
			r.State = hubapi.StateExpired // the timer is about to record it
		}
		switch r.State {
		case hubapi.StatePending:
			return ErrPending
		case hubapi.StateApproved:
			g, err = grantOf(tx, r)
			return err
		}
		return grantEnded(r)
	})
	return g, err
}

// grantEnded says how a request ended.
func grantEnded(r requestRecord) error {
	switch r.State {
	case hubapi.StateDenied:
		return ErrGrantEnded.With("request %s was denied by %s: %s", r.ID, r.Approver, r.DenyReason)
	case hubapi.StateLapsed:
		return ErrGrantEnded.With("request %s lapsed: nobody decided it by %s; request again", r.ID, r.LapseAt.Format(time.RFC3339))
	case hubapi.StateRevoked:
		return ErrGrantEnded.With("request %s was revoked by %s", r.ID, r.Approver)
	}
	return ErrGrantEnded.With("the grant of request %s expired at %s; request again", r.ID, r.NotAfter.Format(time.RFC3339))
}

// grantOf is the wire form of an active grant.
func grantOf(tx *bolt.Tx, r requestRecord) (hubapi.Grant, error) {
	var gw gatewayRecord
	if _, err := hub.GetJSON(tx.Bucket(bucketGateways), r.Gateway, &gw); err != nil {
		return hubapi.Grant{}, err
	}
	gwAddr, err := gatewayAddress(gw.Network)
	if err != nil {
		return hubapi.Grant{}, err
	}
	port := r.Port
	if t, ok, err := getTarget(tx, r.Target); err == nil && ok && t.Gateway == r.Gateway {
		port = t.Port // the gateway may have moved it since
	}
	return hubapi.Grant{
		RequestID: r.ID, Requester: r.Requester, Target: r.Target, Protocol: r.Protocol, PublicKey: r.PublicKey,
		ClientAddress: r.ClientAddress + "/" + hostBits(r.ClientAddress), NotAfter: r.NotAfter, Emergency: r.Emergency,
		Gateway: hubapi.Gateway{Name: gw.Name, PublicKey: gw.PublicKey, Endpoint: gw.Endpoint,
			Address: single(gwAddr).String(), TargetAddress: targetAddress(gwAddr, port)},
	}, nil
}

// GatewayGrants returns the token's gateway's active grants as soon as the
// access version differs from since, or the current set after the
// long-poll timeout (25 s).
func (a *Access) GatewayGrants(ctx context.Context, token string, since uint64) (hubapi.GatewayGrants, error) {
	timer := time.NewTimer(a.opts.pollTimeout)
	defer timer.Stop()
	release := func() {}
	defer func() { release() }()
	for held := false; ; held = true {
		_, wake := a.accessChanges.Current()
		gg, name, err := a.readGatewayGrants(token)
		if err != nil || gg.Version != since {
			return gg, err
		}
		if !held {
			r, err := a.holdPoll("gateway " + name)
			if err != nil {
				return hubapi.GatewayGrants{}, err
			}
			release = r
		}
		select {
		case <-wake:
		case <-timer.C:
			// The hub's clock as it answers, not as it began to wait: the
			// gateway compares it with its own to detect skew.
			gg.Now = a.clock.Now().UTC()
			return gg, nil
		case <-ctx.Done():
			return hubapi.GatewayGrants{}, context.Cause(ctx)
		}
	}
}

// readGatewayGrants reads the token's gateway's active grants and name.
func (a *Access) readGatewayGrants(token string) (hubapi.GatewayGrants, string, error) {
	gg := hubapi.GatewayGrants{Grants: []hubapi.Grant{}}
	var name string
	err := a.db.View(func(tx *bolt.Tx) error {
		gw, err := gatewayByToken(tx, token)
		if err != nil {
			return err
		}
		name = gw.Name
		gg.Version, gg.Now = accessVersion(tx), a.clock.Now().UTC()
		// The gateway's grant leases are exactly its active grants.
		prefix := []byte(gw.Name + "\x00")
		c := tx.Bucket(bucketGrantLeases).Cursor()
		for k, id := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, id = c.Next() {
			r, err := getRequest(tx, string(id))
			if err != nil {
				return err
			}
			if r.State != hubapi.StateApproved || !gg.Now.Before(r.NotAfter) {
				continue
			}
			g, err := grantOf(tx, r)
			if err != nil {
				return err
			}
			gg.Grants = append(gg.Grants, g)
		}
		return nil
	})
	return gg, name, err
}
