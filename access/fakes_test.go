package access

import (
	"context"
	"sync"

	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
)

// fakeHub is an in-memory Hub: requests by ID, and a grant per approved one.
type fakeHub struct {
	mu       sync.Mutex
	requests []hubapi.Request        // guarded by mu
	grants   map[string]hubapi.Grant // guarded by mu
	sent     []hubapi.AccessRequest  // guarded by mu; what Request received
	revoked  []string                // guarded by mu; IDs RevokeGrant received
	down     bool                    // guarded by mu; answer as an unreachable hub
	onGrant  func(id string, n int)  // called (unlocked) on every Grant call with the call count
	calls    int                     // guarded by mu; Grant calls
}

func (h *fakeHub) Request(_ context.Context, req hubapi.AccessRequest) (hubapi.Request, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sent = append(h.sent, req)
	r := hubapi.Request{ID: "r" + string(rune('0'+len(h.sent))), Target: req.Target, For: req.For,
		Reason: req.Reason, State: hubapi.StatePending}
	h.requests = append(h.requests, r)
	return r, nil
}

func (h *fakeHub) Requests(context.Context, string) ([]hubapi.Request, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down {
		return nil, &hubclient.UnreachableError{URL: "https://hub", Err: context.DeadlineExceeded}
	}
	return append([]hubapi.Request(nil), h.requests...), nil
}

func (h *fakeHub) RevokeGrant(_ context.Context, id string) (hubapi.Request, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.revoked = append(h.revoked, id)
	return hubapi.Request{ID: id, State: hubapi.StateRevoked}, nil
}

func (h *fakeHub) Grant(_ context.Context, id string, _ bool) (hubapi.Grant, error) {
	h.mu.Lock()
	h.calls++
	n, f := h.calls, h.onGrant
	h.mu.Unlock()
	if f != nil {
		f(id, n)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	g, ok := h.grants[id]
	if !ok {
		return hubapi.Grant{}, &hubclient.APIError{Status: 409, Body: hubapi.Error{Code: "pending"}}
	}
	return g, nil
}

// set changes request id.
func (h *fakeHub) set(id string, change func(r *hubapi.Request)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range h.requests {
		if h.requests[i].ID == id {
			change(&h.requests[i])
		}
	}
}
