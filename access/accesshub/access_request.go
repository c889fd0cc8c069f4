package accesshub

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// Approver names that are not users (the hub reserves them; hub.ActorHub
// is the third).
const (
	approverAuto      = "auto"      // auto-approval by the target's AutoApproveRole
	approverEmergency = "emergency" // break-glass
)

// CreateRequest records a request of the token's user. It is granted at
// once when it is an emergency on a break-glass target, or when the user's
// role is the target's AutoApproveRole; otherwise it waits for an approver
// until the request window passes, and the webhook tells approvers.
func (a *Access) CreateRequest(token string, req hubapi.AccessRequest) (hubapi.Request, error) {
	if err := checkAccessRequest(req); err != nil {
		return hubapi.Request{}, err
	}
	if len(req.Reason) > a.opts.MaxReason {
		return hubapi.Request{}, hub.ErrBadRequest.With("the reason is %d bytes; at most %d: a sentence and a link to the ticket", len(req.Reason), a.opts.MaxReason)
	}
	var r requestRecord
	err := a.accessUpdate(func(tx *bolt.Tx, fx *accessEffects) error {
		c, err := hub.CallerOf(tx, token)
		if err != nil {
			return err
		}
		t, err := requestableTarget(tx, req)
		if err != nil {
			return err
		}
		if err := a.checkUserLimits(tx, c, req.Emergency); err != nil {
			return err
		}
		keys := tx.Bucket(bucketReqKeys)
		if keys.Get([]byte(req.PublicKey)) != nil {
			return hub.ErrKeyTaken.With("this public key served an earlier request; make a fresh key pair for every request")
		}
		now := a.clock.Now().UTC()
		r = requestRecord{
			Request: hubapi.Request{ID: hub.NewID(), Requester: c.User, Target: t.Name, For: req.For, Reason: req.Reason,
				Emergency: req.Emergency, State: hubapi.StatePending, Created: now},
			PublicKey: req.PublicKey, Gateway: t.Gateway, Protocol: t.Protocol, Port: t.Port,
			LapseAt: now.Add(a.opts.RequestWindow), Device: c.Device, RequesterID: c.UserID,
		}
		if err := keys.Put([]byte(req.PublicKey), []byte(r.ID)); err != nil {
			return err
		}
		if err := hub.AppendAudit(tx, requestAudit(r)); err != nil {
			return err
		}
		return a.routeRequest(tx, fx, &r, c, t, now)
	})
	if err != nil {
		a.auditRefused(token, requestAction(req), req.Target, "", err)
		return hubapi.Request{}, err
	}
	a.log.Info("access requested", "request", r.ID, "user", r.Requester, "target", r.Target, "for", r.For, "state", r.State)
	return r.Request, nil
}

// requestableTarget finds the target of req and checks the time asked for.
func requestableTarget(tx *bolt.Tx, req hubapi.AccessRequest) (hubapi.Target, error) {
	t, ok, err := getTarget(tx, req.Target)
	switch {
	case err != nil:
		return t, err
	case !ok:
		return t, ErrTargetUnknown.With("no target %q; list them with devenv access targets", req.Target)
	case req.For > t.MaxTTL:
		return t, ErrTooLong.With("target %s allows at most %s; ask for --for %s or less", t.Name, t.MaxTTL, t.MaxTTL)
	case req.Emergency && !t.BreakGlass:
		return t, ErrNoBreakGlass.With("target %s does not allow emergency access; request it without --emergency and ask an approver", t.Name)
	}
	return t, nil
}

func requestAudit(r requestRecord) hubapi.AuditRecord {
	d := map[string]string{"for": r.For.String(), "reason": r.Reason, "public_key": r.PublicKey}
	if r.Emergency {
		d["emergency"] = "true"
	}
	return sealed(hubapi.AuditRecord{Time: r.Created, Actor: r.Requester, Action: "request", Target: r.Target, RequestID: r.ID, Detail: d}, r)
}

// routeRequest grants a new request at once (emergency, auto-approval) or
// leaves it pending for approvers.
func (a *Access) routeRequest(tx *bolt.Tx, fx *accessEffects, r *requestRecord, c hub.Caller, t hubapi.Target, now time.Time) error {
	switch {
	case r.Emergency:
		r.For = min(r.For, breakGlassTTL(t))
		r.Approver = approverEmergency
		fx.notify = append(fx.notify, fmt.Sprintf(":rotating_light: EMERGENCY access: %s took read-only access to %s for %s: %q (request %s)",
			r.Requester, r.Target, r.For, r.Reason, r.ID))
		rec := hubapi.AuditRecord{Time: now, Actor: r.Requester, Action: "emergency", Target: r.Target, RequestID: r.ID,
			Verdict: "allowed", Detail: map[string]string{"for": r.For.String(), "reason": r.Reason}}
		if err := hub.AppendAudit(tx, rec); err != nil {
			return err
		}
		return a.grantLocked(tx, fx, r, now)
	case t.AutoApproveRole != "" && c.Role == t.AutoApproveRole:
		r.For = min(r.For, autoApproveTTL(t))
		r.Approver = approverAuto
		rec := hubapi.AuditRecord{Time: now, Actor: hub.ActorHub, Action: "approve", Target: r.Target, RequestID: r.ID,
			Verdict: "allowed", Detail: map[string]string{"for": r.For.String(), "rule": "auto_approve_role " + string(t.AutoApproveRole)}}
		if err := hub.AppendAudit(tx, rec); err != nil {
			return err
		}
		return a.grantLocked(tx, fx, r, now)
	}
	fx.armAt(r.ID, r.LapseAt)
	fx.notify = append(fx.notify, fmt.Sprintf("%s asks for read-only access to %s for %s: %q. %s may approve it within %s: devenv access approve %s",
		r.Requester, r.Target, r.For, r.Reason, approverList(t), a.opts.RequestWindow, r.ID))
	return putRequest(tx, fx, *r)
}

func breakGlassTTL(t hubapi.Target) time.Duration {
	if t.BreakGlassTTL > 0 {
		return min(t.BreakGlassTTL, t.MaxTTL)
	}
	return min(hubapi.DefaultBreakGlassTTL, t.MaxTTL)
}

func autoApproveTTL(t hubapi.Target) time.Duration {
	if t.AutoApproveTTL > 0 {
		return min(t.AutoApproveTTL, t.MaxTTL)
	}
	return t.MaxTTL
}

// Which requests ListRequests returns.
const (
	ListPending = "pending" // pending requests the caller may decide
	ListMine    = "mine"    // the caller's own (the default)
	ListAll     = "all"     // every request (approvers and admins)
)

// ListRequests lists requests for the token's user, oldest first.
func (a *Access) ListRequests(token, which string) ([]hubapi.Request, error) {
	var out []hubapi.Request
	err := a.db.View(func(tx *bolt.Tx) error {
		c, err := hub.CallerOf(tx, token)
		if err != nil {
			return err
		}
		keep, err := requestFilter(tx, c, which)
		if err != nil {
			return err
		}
		all, err := allRequests(tx)
		for _, r := range all {
			if keep(r) {
				out = append(out, r.Request)
			}
		}
		return err
	})
	a.auditRefused(token, "list", "", "", err)
	slices.SortFunc(out, func(a, b hubapi.Request) int { return cmp.Compare(a.Created.UnixNano(), b.Created.UnixNano()) })
	return out, err
}

func requestFilter(tx *bolt.Tx, c hub.Caller, which string) (func(requestRecord) bool, error) {
	switch which {
	case "", ListMine:
		return func(r requestRecord) bool { return owns(c, r) }, nil
	case ListPending, ListAll:
		if c.Role == hubapi.RoleDeveloper {
			return nil, hub.ErrForbidden.With("listing others' requests needs the approver or admin role; list your own with --mine")
		}
	default:
		return nil, hub.ErrBadRequest.With("state=%q: use pending, mine or all", which)
	}
	if which == ListAll {
		return func(requestRecord) bool { return true }, nil
	}
	return func(r requestRecord) bool {
		if r.State != hubapi.StatePending || owns(c, r) {
			return false
		}
		t, ok, err := getTarget(tx, r.Target)
		return err == nil && checkDecider(c, r, t, ok) == nil
	}, nil
}

// checkUserLimits refuses a request that would give user more pending
// requests, or (emergency) more active emergency grants, than the hub
// keeps for one user.
func (a *Access) checkUserLimits(tx *bolt.Tx, c hub.Caller, emergency bool) error {
	all, err := allRequests(tx)
	if err != nil {
		return err
	}
	pending, emergencies := 0, 0
	now := a.clock.Now()
	for _, r := range all {
		switch {
		case !owns(c, r):
		case r.State == hubapi.StatePending && now.Before(r.LapseAt):
			pending++
		case r.State == hubapi.StateApproved && r.Emergency && now.Before(r.NotAfter):
			emergencies++
		}
	}
	switch {
	case emergency && emergencies >= a.opts.MaxEmergencyGrants:
		return hub.ErrForbidden.With("you hold %d active emergency grant(s), the most one user may; use it, or end it with devenv access revoke ID", emergencies)
	case !emergency && pending >= a.opts.MaxOpenRequests:
		return hub.ErrForbidden.With("you have %d pending requests, the most one user may; withdraw one with devenv access revoke ID or wait for a decision", pending)
	}
	return nil
}
