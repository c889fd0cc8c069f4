package accessview

import (
	"context"
	"sync"
	"time"

	"github.com/devenv-dev/devenv/access"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
)

// Source is what the panel needs of the hub.
type Source interface {
	// Requests lists requests: hubclient.RequestsMine or RequestsPending.
	Requests(ctx context.Context, state string) ([]hubapi.Request, error)
	Targets(ctx context.Context) ([]hubapi.Target, error)
	// Request asks for access as devenv access request does: a fresh key
	// pair kept on this machine, the public half to the hub.
	Request(ctx context.Context, a Ask) (hubapi.Request, error)
	Approve(ctx context.Context, req hubapi.ApproveRequest) (hubapi.Request, error)
	Deny(ctx context.Context, req hubapi.DenyRequest) (hubapi.Request, error)
	// RevokeGrant cuts a grant now, or withdraws a pending request.
	RevokeGrant(ctx context.Context, id string) (hubapi.Request, error)
}

// Ask is what the request form asks for.
type Ask struct {
	Target string
	For    time.Duration
	Reason string
}

// Hub is the hub this machine joined, through the library devenv access
// uses.
type Hub struct {
	dir string // vpn state directory; "" for the default

	mu     sync.Mutex
	client *hubclient.Client // guarded by mu; nil until made from the state
}

var _ Source = (*Hub)(nil)

// HubSource is the hub that client talks to; requests keep their keys
// under the vpn state directory dir ("" for the default).
func HubSource(client *hubclient.Client, dir string) *Hub { return &Hub{dir: dir, client: client} }

// StateSource is the hub that the vpn state in dir ("" for the default)
// joined; until this machine joins, every call fails with the reason
// (vpn.ErrNotJoined), and it works as soon as it has.
func StateSource(dir string) *Hub { return &Hub{dir: dir} }

func (h *Hub) hub() (*hubclient.Client, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.client == nil {
		c, err := access.NewClient(h.dir)
		if err != nil {
			return nil, err
		}
		h.client = c
	}
	return h.client, nil
}

// Requests is hubclient.Client.Requests.
func (h *Hub) Requests(ctx context.Context, state string) ([]hubapi.Request, error) {
	c, err := h.hub()
	if err != nil {
		return nil, err
	}
	return c.Requests(ctx, state)
}

// Targets is hubclient.Client.Targets.
func (h *Hub) Targets(ctx context.Context) ([]hubapi.Target, error) {
	c, err := h.hub()
	if err != nil {
		return nil, err
	}
	return c.Targets(ctx)
}

// Request is access.Request.
func (h *Hub) Request(ctx context.Context, a Ask) (hubapi.Request, error) {
	c, err := h.hub()
	if err != nil {
		return hubapi.Request{}, err
	}
	return access.Request(ctx, access.RequestOptions{Hub: c, Dir: h.dir, Target: a.Target, For: a.For, Reason: a.Reason})
}

// Approve is hubclient.Client.Approve.
func (h *Hub) Approve(ctx context.Context, req hubapi.ApproveRequest) (hubapi.Request, error) {
	c, err := h.hub()
	if err != nil {
		return hubapi.Request{}, err
	}
	return c.Approve(ctx, req)
}

// Deny is hubclient.Client.Deny.
func (h *Hub) Deny(ctx context.Context, req hubapi.DenyRequest) (hubapi.Request, error) {
	c, err := h.hub()
	if err != nil {
		return hubapi.Request{}, err
	}
	return c.Deny(ctx, req)
}

// RevokeGrant is hubclient.Client.RevokeGrant.
func (h *Hub) RevokeGrant(ctx context.Context, id string) (hubapi.Request, error) {
	c, err := h.hub()
	if err != nil {
		return hubapi.Request{}, err
	}
	return c.RevokeGrant(ctx, id)
}
