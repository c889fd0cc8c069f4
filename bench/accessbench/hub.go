package main

import (
	"context"
	"sync"
	"time"

	"github.com/devenv-dev/devenv/access/gateway"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// hubLongPoll is how long the fake hub holds a grants request without news;
// the real hub answers within 25 s.
const hubLongPoll = 20 * time.Second

// fakeHub is the hub as the gateway sees it, in process: it serves a set
// of grants through the long-poll and counts the audit records it gets.
type fakeHub struct {
	mu      sync.Mutex
	version uint64         // guarded by mu
	grants  []hubapi.Grant // guarded by mu
	changed chan struct{}  // guarded by mu; closed and replaced on every change
	applied uint64         // guarded by mu; the newest version the gateway asked past, so has enforced
	audit   int            // guarded by mu; records received
}

var _ gateway.Hub = (*fakeHub)(nil)

func newFakeHub() *fakeHub { return &fakeHub{changed: make(chan struct{})} }

func (h *fakeHub) RegisterTargets(ctx context.Context, r hubapi.RegisterTargets) (hubapi.GatewayInfo, error) {
	return hubapi.GatewayInfo{Name: "bench-gw"}, nil
}

// GatewayGrants answers at once when the set is newer than since, else at
// the next change or after hubLongPoll. The gateway asks again only after
// enforcing the set it got, so since says what it has applied.
func (h *fakeHub) GatewayGrants(ctx context.Context, since uint64) (hubapi.GatewayGrants, error) {
	timeout := time.NewTimer(hubLongPoll)
	defer timeout.Stop()
	for {
		h.mu.Lock()
		h.applied = max(h.applied, since)
		gg := hubapi.GatewayGrants{Version: h.version, Grants: append([]hubapi.Grant(nil), h.grants...), Now: time.Now()}
		changed := h.changed
		h.mu.Unlock()
		if gg.Version > since {
			return gg, nil
		}
		select {
		case <-changed:
		case <-timeout.C:
			return gg, nil
		case <-ctx.Done():
			return hubapi.GatewayGrants{}, ctx.Err()
		}
	}
}

func (h *fakeHub) GatewayAudit(ctx context.Context, records []hubapi.AuditRecord) (hubapi.GatewayAuditResult, error) {
	h.mu.Lock()
	h.audit += len(records)
	h.mu.Unlock()
	return hubapi.GatewayAuditResult{Chained: len(records)}, nil
}

// set replaces the active grants and returns the new version.
func (h *fakeHub) set(gs []hubapi.Grant) uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.grants = gs
	h.version++
	close(h.changed)
	h.changed = make(chan struct{})
	return h.version
}

// waitApplied waits until the gateway has enforced version v.
func (h *fakeHub) waitApplied(ctx context.Context, v uint64) error {
	for {
		h.mu.Lock()
		done := h.applied >= v
		h.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func (h *fakeHub) auditRecords() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.audit
}
