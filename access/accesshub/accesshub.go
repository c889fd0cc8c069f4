// Package accesshub is the hub's access half: production access as the
// hub runs it. Gateways and the targets they register, access requests
// and their approval rules, grants with exact deadlines kept across
// restarts, the gateways' grant long-poll, the gateways' audit uploads
// (and the quarantine of what the hub cannot attribute), the webhook's
// news of requests and decisions, and the admin socket's grant commands.
//
// It plugs into the LAN hub (package hub) as a hub.Extension: New makes
// one, hub.Options.Extensions takes it. Its records live in the hub's
// store, in buckets of their own, and its audit records in the hub's one
// hash chain. Revoking a device or removing a user on the hub ends their
// requests and grants in the same transaction (EndTrust).
package accesshub

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/internal/clock"
	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// Defaults of Options.
const (
	// DefaultRequestWindow is how long a request waits for a decision.
	DefaultRequestWindow = 15 * time.Minute
	// What one user may make the hub keep.
	DefaultMaxReason          = 1 << 10
	DefaultMaxOpenRequests    = 5
	DefaultMaxEmergencyGrants = 1
)

// pollTimeout bounds a grant long-poll, a developer's or a gateway's.
const pollTimeout = 25 * time.Second

// Options configure the access half.
type Options struct {
	// RequestWindow is how long an access request waits for a decision
	// before it lapses; default 15 minutes.
	RequestWindow time.Duration
	// MaxReason, MaxOpenRequests and MaxEmergencyGrants bound what one user
	// may make the hub keep: the bytes of a request's reason (default
	// 1 KiB), their pending requests (default 5) and their active
	// emergency grants (default 1).
	MaxReason, MaxOpenRequests, MaxEmergencyGrants int

	pollTimeout time.Duration    // tests shorten long-polls
	pollHeld    func(key string) // tests learn that a long-poll holds its slot
}

func (o Options) withDefaults() Options {
	if o.RequestWindow <= 0 {
		o.RequestWindow = DefaultRequestWindow
	}
	if o.MaxReason <= 0 {
		o.MaxReason = DefaultMaxReason
	}
	if o.MaxOpenRequests <= 0 {
		o.MaxOpenRequests = DefaultMaxOpenRequests
	}
	if o.MaxEmergencyGrants <= 0 {
		o.MaxEmergencyGrants = DefaultMaxEmergencyGrants
	}
	if o.pollTimeout == 0 {
		o.pollTimeout = pollTimeout
	}
	return o
}

// Access is the access half of one hub. It does nothing until the hub it
// is given to attaches it (hub.New).
type Access struct {
	opts  Options
	hub   *hub.Hub    // set by Attach
	db    *bolt.DB    // the hub's store
	clock clock.Clock // the hub's
	log   *slog.Logger

	accessChanges hub.Changes // the access version: requests, grants, gateways
	deadlines     deadlines   // lapse and expiry timers of access requests
	refusals      refusals    // refused actions recorded, per actor
	// quarantineDropped counts gateway audit records dropped because the
	// quarantine was full.
	quarantineDropped atomic.Uint64
}

// New returns the access half, to give in hub.Options.Extensions.
func New(opts Options) *Access {
	return &Access{opts: opts.withDefaults()}
}

// Attach re-arms every deadline kept in the store; what fell due while
// the hub was down ends now, in order.
func (a *Access) Attach(h *hub.Hub) error {
	a.hub, a.db, a.clock, a.log = h, h.DB(), h.Clock(), h.Logger()
	a.deadlines.clock = a.clock
	if err := a.startAccess(); err != nil {
		a.deadlines.stop()
		return fmt.Errorf("reading access requests: %w", err)
	}
	return nil
}

// Detach stops the deadlines' timers.
func (a *Access) Detach() { a.deadlines.stop() }

// APIRoutes adds the production access API of package hubapi.
func (a *Access) APIRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+hubapi.PathTargets, a.hub.Handle(a.serveTargets))
	mux.Handle("POST "+hubapi.PathRequests, a.hub.Handle(a.serveCreateRequest))
	mux.Handle("GET "+hubapi.PathRequests, a.hub.Handle(a.serveListRequests))
	mux.Handle("POST "+hubapi.PathApprove, a.hub.Handle(a.serveApprove))
	mux.Handle("POST "+hubapi.PathDeny, a.hub.Handle(a.serveDeny))
	mux.Handle("POST "+hubapi.PathRevokeGrant, a.hub.Handle(a.serveRevokeGrant))
	mux.Handle("GET "+hubapi.PathGrant, a.hub.Handle(a.serveGrant))
	mux.Handle("GET "+hubapi.PathAudit, a.hub.Handle(a.serveAudit))
	mux.Handle("PUT "+hubapi.PathGatewayTargets, a.hub.Handle(a.serveRegisterTargets))
	mux.Handle("GET "+hubapi.PathGatewayGrants, a.hub.Handle(a.serveGatewayGrants))
	mux.Handle("POST "+hubapi.PathGatewayAudit, a.hub.Handle(a.serveGatewayAudit))
}

// AdminRoutes adds gateways, grants and the quarantine to the admin socket.
func (a *Access) AdminRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+adminGateway, a.hub.Handle(a.adminListGateways))
	mux.Handle("POST "+adminGateway, a.hub.Handle(a.adminAddGateway))
	mux.Handle("GET "+adminQuarantine, a.hub.Handle(a.adminListQuarantine))
	mux.Handle("GET "+adminGrants, a.hub.Handle(a.adminListGrants))
	mux.Handle("POST "+adminGrantRevoke, a.hub.Handle(a.adminRevokeGrant))
}

// WriteMetrics adds the quarantine's size and what it dropped.
func (a *Access) WriteMetrics(w io.Writer) error { return a.writeQuarantineMetrics(w) }

// holdPoll takes a long-poll slot of key at the hub.
func (a *Access) holdPoll(key string) (func(), error) {
	release, err := a.hub.HoldPoll(key)
	if err == nil && a.opts.pollHeld != nil {
		a.opts.pollHeld(key)
	}
	return release, err
}

// holdDevicePoll takes a long-poll slot of token's device at the hub.
func (a *Access) holdDevicePoll(token string) (func(), error) {
	release, err := a.hub.HoldDevicePoll(token)
	if err == nil && a.opts.pollHeld != nil {
		a.opts.pollHeld("device")
	}
	return release, err
}
