// Package access is the developer's side of production access: it makes a
// fresh key pair for every request (the private key stays in a local key
// store), waits for a decision, and connects to a granted target through a
// userspace WireGuard tunnel to the target's gateway until the grant ends.
package access

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/devenv-dev/devenv/vpn"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
)

// Hub is what this package needs of the hub; *hubclient.Client is one.
type Hub interface {
	Request(ctx context.Context, req hubapi.AccessRequest) (hubapi.Request, error)
	Requests(ctx context.Context, state string) ([]hubapi.Request, error)
	RevokeGrant(ctx context.Context, id string) (hubapi.Request, error)
	Grant(ctx context.Context, id string, wait bool) (hubapi.Grant, error)
}

// NewClient returns a client of the hub this machine joined, authenticated
// as its device, from the vpn state in stateDir ("" for the default).
func NewClient(stateDir string) (*hubclient.Client, error) {
	st, err := vpn.LoadState(stateDir)
	if err != nil {
		return nil, err
	}
	if st.Revoked {
		return nil, errors.New("an admin revoked this device; devenv vpn leave, then join again with a new invite")
	}
	return hubclient.New(st.HubURL, st.Fingerprint, st.Token), nil
}

// RequestOptions says what to ask for.
type RequestOptions struct {
	Hub       Hub
	Dir       string // vpn state directory ("" for the default); keys go under it
	Target    string
	For       time.Duration
	Reason    string
	Emergency bool // break-glass: granted at once where the target allows it
}

// Request makes a key pair for one request, keeps the private key in the
// key store and asks the hub for access with the public key.
func Request(ctx context.Context, o RequestOptions) (hubapi.Request, error) {
	keys, err := NewKeyStore(o.Dir)
	if err != nil {
		return hubapi.Request{}, err
	}
	key, staged, err := keys.stage()
	if err != nil {
		return hubapi.Request{}, err
	}
	r, err := o.Hub.Request(ctx, hubapi.AccessRequest{
		Target: o.Target, For: o.For, Reason: o.Reason, Emergency: o.Emergency,
		PublicKey: key.PublicKey().String(),
	})
	if err != nil {
		keys.discard(staged)
		return hubapi.Request{}, fmt.Errorf("requesting access to %s: %w", o.Target, err)
	}
	if err := keys.commit(staged, r.ID); err != nil {
		keys.discard(staged)
		_, _ = o.Hub.RevokeGrant(context.WithoutCancel(ctx), r.ID) // a grant without its key is useless
		return hubapi.Request{}, err
	}
	return r, nil
}

// waitRetry paces Wait when the hub answers at once (it does not hold the
// call, or it is unreachable); a variable for tests.
var waitRetry = time.Second

// Wait blocks until request id is decided and returns it. A request that
// will never be usable (denied, lapsed, revoked) has its key deleted.
func Wait(ctx context.Context, h Hub, dir, id string) (hubapi.Request, error) {
	keys, err := NewKeyStore(dir)
	if err != nil {
		return hubapi.Request{}, err
	}
	for {
		start := time.Now()
		_, gerr := h.Grant(ctx, id, true)
		if ctx.Err() != nil {
			return hubapi.Request{}, context.Cause(ctx)
		}
		r, err := findRequest(ctx, h, id)
		switch {
		case err == nil && r.State == hubapi.StateApproved:
			return r, nil
		case err == nil && r.State != hubapi.StatePending:
			_ = keys.Remove(id)
			return r, nil
		case err != nil && !errors.Is(err, hubclient.ErrUnreachable):
			return hubapi.Request{}, err
		case gerr == nil: // granted, but the list lags: ask again
		}
		if d := waitRetry - time.Since(start); d > 0 {
			select {
			case <-ctx.Done():
				return hubapi.Request{}, context.Cause(ctx)
			case <-time.After(d):
			}
		}
	}
}

// ErrUnknownRequest means the hub lists no request of the caller's with an ID.
var ErrUnknownRequest = errors.New("no such request of yours")

// findRequest returns the caller's request id.
func findRequest(ctx context.Context, h Hub, id string) (hubapi.Request, error) {
	rs, err := h.Requests(ctx, hubclient.RequestsMine)
	if err != nil {
		return hubapi.Request{}, fmt.Errorf("reading request %s: %w", id, err)
	}
	for _, r := range rs {
		if r.ID == id {
			return r, nil
		}
	}
	return hubapi.Request{}, fmt.Errorf("request %s: %w", id, ErrUnknownRequest)
}
