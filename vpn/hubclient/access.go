package hubclient

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// grantWaitTimeout bounds a long-polled Grant: the hub answers within
// about 25 s, as for the netmap.
const grantWaitTimeout = netMapTimeout

// Codes of production access answers (besides forbidden, key_taken and
// address_space_full).
const (
	ErrTargetUnknown  Code = "target_unknown"
	ErrTooLong        Code = "too_long" // more time than the target allows
	ErrRequestUnknown Code = "request_unknown"
	ErrNotPending     Code = "not_pending" // decided already
	ErrSelfApproval   Code = "self_approval"
	ErrNotApprover    Code = "not_approver"
	ErrNoBreakGlass   Code = "no_break_glass"
	ErrPending        Code = "pending"     // Grant: the request waits for an approver
	ErrGrantEnded     Code = "grant_ended" // Grant: denied, lapsed, revoked or expired
)

// Request states for Requests.
const (
	RequestsPending = "pending" // waiting for a decision (approvers see everyone's)
	RequestsMine    = "mine"    // the caller's own, in every state
	RequestsAll     = "all"
)

// Targets lists the production targets the hub's gateways expose.
func (c *Client) Targets(ctx context.Context) ([]hubapi.Target, error) {
	var ts []hubapi.Target
	err := c.do(ctx, callTimeout, http.MethodGet, hubapi.PathTargets, nil, &ts)
	return ts, err
}

// Request asks for access to a target. req carries only the public half of
// the key pair made for this request.
func (c *Client) Request(ctx context.Context, req hubapi.AccessRequest) (hubapi.Request, error) {
	var r hubapi.Request
	err := c.do(ctx, callTimeout, http.MethodPost, hubapi.PathRequests, req, &r)
	return r, err
}

// Requests lists access requests: state is RequestsPending, RequestsMine,
// RequestsAll, or "" for the hub's default.
func (c *Client) Requests(ctx context.Context, state string) ([]hubapi.Request, error) {
	path := hubapi.PathRequests
	if state != "" {
		path += "?state=" + url.QueryEscape(state)
	}
	var rs []hubapi.Request
	err := c.do(ctx, callTimeout, http.MethodGet, path, nil, &rs)
	return rs, err
}

// Approve approves a pending request (approver role; never one's own).
func (c *Client) Approve(ctx context.Context, req hubapi.ApproveRequest) (hubapi.Request, error) {
	var r hubapi.Request
	err := c.do(ctx, callTimeout, http.MethodPost, hubapi.PathApprove, req, &r)
	return r, err
}

// Deny denies a pending request.
func (c *Client) Deny(ctx context.Context, req hubapi.DenyRequest) (hubapi.Request, error) {
	var r hubapi.Request
	err := c.do(ctx, callTimeout, http.MethodPost, hubapi.PathDeny, req, &r)
	return r, err
}

// RevokeGrant cuts a grant before its deadline, or withdraws a pending
// request.
func (c *Client) RevokeGrant(ctx context.Context, id string) (hubapi.Request, error) {
	var r hubapi.Request
	err := c.do(ctx, callTimeout, http.MethodPost, hubapi.PathRevokeGrant, hubapi.RevokeGrantRequest{ID: id}, &r)
	return r, err
}

// Grant returns the caller's grant of request id once it is approved. With
// wait, the hub holds the call (about 25 s) while the request is pending.
func (c *Client) Grant(ctx context.Context, id string, wait bool) (hubapi.Grant, error) {
	q := url.Values{"id": {id}}
	timeout := callTimeout
	if wait {
		q.Set("wait", "1")
		timeout = grantWaitTimeout
	}
	var g hubapi.Grant
	err := c.do(ctx, timeout, http.MethodGet, hubapi.PathGrant+"?"+q.Encode(), nil, &g)
	return g, err
}

// Audit returns the audit records of target ("" for all) since a time
// (zero for all), oldest first (approver or admin).
func (c *Client) Audit(ctx context.Context, target string, since time.Time) ([]hubapi.AuditRecord, error) {
	q := url.Values{}
	if target != "" {
		q.Set("target", target)
	}
	if !since.IsZero() {
		q.Set("since", since.UTC().Format(time.RFC3339))
	}
	path := hubapi.PathAudit
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var rs []hubapi.AuditRecord
	err := c.do(ctx, callTimeout, http.MethodGet, path, nil, &rs)
	return rs, err
}
