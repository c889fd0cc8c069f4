package accesshub

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	bolt "go.etcd.io/bbolt"
)

// maxAccessBody bounds a gateway's request bodies: its registration and
// its audit uploads may be larger than other requests; maxBody bounds the
// admin socket's, all small.
const (
	maxAccessBody = 8 << 20
	maxBody       = 64 << 10
)

// decode reads a request body of at most limit bytes into v.
func decode(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit)).Decode(v); err != nil {
		return hub.ErrBadRequest.With("reading the request: %v; upgrade devenv on this machine", err)
	}
	return nil
}

// The caller is known before its body is read: a stranger's large POSTs
// cost the hub a token lookup, not their size in memory. A device's body
// is small (a reason is at most a KiB); only a gateway's registration and
// audit uploads may be large.

// decodeFromGateway reads a gateway's request body once its token is known.
func (a *Access) decodeFromGateway(w http.ResponseWriter, r *http.Request, v any) error {
	if err := a.db.View(func(tx *bolt.Tx) error { _, err := gatewayByToken(tx, hub.Bearer(r)); return err }); err != nil {
		return err
	}
	return decode(w, r, v, maxAccessBody)
}

func (a *Access) serveTargets(w http.ResponseWriter, r *http.Request) error {
	ts, err := a.Targets(hub.Bearer(r))
	if err != nil {
		return err
	}
	hub.WriteJSON(w, http.StatusOK, nonNil(ts))
	return nil
}

func (a *Access) serveCreateRequest(w http.ResponseWriter, r *http.Request) error {
	var req hubapi.AccessRequest
	if err := a.hub.DecodeFromDevice(w, r, &req); err != nil {
		return err
	}
	return answer(w)(a.CreateRequest(hub.Bearer(r), req))
}

func (a *Access) serveListRequests(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.ListRequests(hub.Bearer(r), r.URL.Query().Get("state"))
	if err != nil {
		return err
	}
	hub.WriteJSON(w, http.StatusOK, nonNil(rs))
	return nil
}

func (a *Access) serveApprove(w http.ResponseWriter, r *http.Request) error {
	var req hubapi.ApproveRequest
	if err := a.hub.DecodeFromDevice(w, r, &req); err != nil {
		return err
	}
	return answer(w)(a.Approve(hub.Bearer(r), req))
}

func (a *Access) serveDeny(w http.ResponseWriter, r *http.Request) error {
	var req hubapi.DenyRequest
	if err := a.hub.DecodeFromDevice(w, r, &req); err != nil {
		return err
	}
	return answer(w)(a.Deny(hub.Bearer(r), req))
}

func (a *Access) serveRevokeGrant(w http.ResponseWriter, r *http.Request) error {
	var req hubapi.RevokeGrantRequest
	if err := a.hub.DecodeFromDevice(w, r, &req); err != nil {
		return err
	}
	return answer(w)(a.RevokeGrant(hub.Bearer(r), req.ID))
}

// answer writes a request as the answer, or passes the error on.
func answer(w http.ResponseWriter) func(hubapi.Request, error) error {
	return func(req hubapi.Request, err error) error {
		if err == nil {
			hub.WriteJSON(w, http.StatusOK, req)
		}
		return err
	}
}

func (a *Access) serveGrant(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if q.Get("id") == "" {
		return hub.ErrBadRequest.With("give the request's id: ?id=ID")
	}
	wait, _ := strconv.ParseBool(q.Get("wait"))
	g, err := a.Grant(r.Context(), hub.Bearer(r), q.Get("id"), wait)
	if err != nil {
		return err
	}
	hub.WriteJSON(w, http.StatusOK, g)
	return nil
}

func (a *Access) serveAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := hub.AuditFilter{Target: q.Get("target")}
	if s := q.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return hub.ErrBadRequest.With("since=%q: want an RFC 3339 time such as 2026-01-02T15:04:05Z", s)
		}
		f.Since = t
	}
	recs, err := a.Audit(hub.Bearer(r), f)
	if err != nil {
		return err
	}
	hub.WriteJSON(w, http.StatusOK, recs)
	return nil
}

func (a *Access) serveRegisterTargets(w http.ResponseWriter, r *http.Request) error {
	var req hubapi.RegisterTargets
	if err := a.decodeFromGateway(w, r, &req); err != nil {
		return err
	}
	info, err := a.RegisterTargets(hub.Bearer(r), req)
	if err != nil {
		return err
	}
	hub.WriteJSON(w, http.StatusOK, info)
	return nil
}

func (a *Access) serveGatewayGrants(w http.ResponseWriter, r *http.Request) error {
	var since uint64
	if s := r.URL.Query().Get("since"); s != "" {
		var err error
		if since, err = strconv.ParseUint(s, 10, 64); err != nil {
			return hub.ErrBadRequest.With("since=%q: not a grants version", s)
		}
	}
	gg, err := a.GatewayGrants(r.Context(), hub.Bearer(r), since)
	if err != nil {
		return err
	}
	hub.WriteJSON(w, http.StatusOK, gg)
	return nil
}

func (a *Access) serveGatewayAudit(w http.ResponseWriter, r *http.Request) error {
	var recs []hubapi.AuditRecord
	if err := a.decodeFromGateway(w, r, &recs); err != nil {
		return err
	}
	res, err := a.AppendGatewayAudit(hub.Bearer(r), recs)
	if err == nil {
		hub.WriteJSON(w, http.StatusOK, res)
	}
	return err
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Audit returns audit records to an approver or admin.
func (a *Access) Audit(token string, f hub.AuditFilter) ([]hubapi.AuditRecord, error) {
	var out []hubapi.AuditRecord
	err := a.db.View(func(tx *bolt.Tx) error {
		c, err := hub.CallerOf(tx, token)
		if err != nil {
			return err
		}
		if c.Role == hubapi.RoleDeveloper {
			return hub.ErrForbidden.With("reading the audit trail needs the approver or admin role")
		}
		out, err = hub.AuditRecords(tx, f)
		return err
	})
	a.auditRefused(token, "read_audit", f.Target, "", err)
	return out, err
}
