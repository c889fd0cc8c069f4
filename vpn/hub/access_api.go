package hub

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/devenv-dev/devenv/vpn/hubapi"
	bolt "go.etcd.io/bbolt"
)

// maxAccessBody bounds access request bodies: a gateway's registration
// and its audit uploads may be larger than other requests.
const maxAccessBody = 8 << 20

// accessRoutes adds the production access API to the hub's mux.
func (h *Hub) accessRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+hubapi.PathTargets, h.handle(h.serveTargets))
	mux.Handle("POST "+hubapi.PathRequests, h.handle(h.serveCreateRequest))
	mux.Handle("GET "+hubapi.PathRequests, h.handle(h.serveListRequests))
	mux.Handle("POST "+hubapi.PathApprove, h.handle(h.serveApprove))
	mux.Handle("POST "+hubapi.PathDeny, h.handle(h.serveDeny))
	mux.Handle("POST "+hubapi.PathRevokeGrant, h.handle(h.serveRevokeGrant))
	mux.Handle("GET "+hubapi.PathGrant, h.handle(h.serveGrant))
	mux.Handle("GET "+hubapi.PathAudit, h.handle(h.serveAudit))
	mux.Handle("PUT "+hubapi.PathGatewayTargets, h.handle(h.serveRegisterTargets))
	mux.Handle("GET "+hubapi.PathGatewayGrants, h.handle(h.serveGatewayGrants))
	mux.Handle("POST "+hubapi.PathGatewayAudit, h.handle(h.serveGatewayAudit))
}

func decodeAccess(w http.ResponseWriter, r *http.Request, v any) error {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAccessBody)).Decode(v); err != nil {
		return ErrBadRequest.with("reading the request: %v; upgrade devenv on this machine", err)
	}
	return nil
}

// The caller is known before its body is read: a stranger's large POSTs
// cost the hub a token lookup, not their size in memory. A device's body
// is small (a reason is at most a KiB); only a gateway's registration and
// audit uploads may be large.

// decodeFromDevice reads a device's request body once its token is known.
func (h *Hub) decodeFromDevice(w http.ResponseWriter, r *http.Request, v any) error {
	if err := h.db.View(func(tx *bolt.Tx) error { _, err := deviceByToken(tx, bearer(r)); return err }); err != nil {
		return err
	}
	return decodeJSON(w, r, v)
}

// decodeFromGateway reads a gateway's request body once its token is known.
func (h *Hub) decodeFromGateway(w http.ResponseWriter, r *http.Request, v any) error {
	if err := h.db.View(func(tx *bolt.Tx) error { _, err := gatewayByToken(tx, bearer(r)); return err }); err != nil {
		return err
	}
	return decodeAccess(w, r, v)
}

func (h *Hub) serveTargets(w http.ResponseWriter, r *http.Request) error {
	ts, err := h.Targets(bearer(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(ts))
	return nil
}

func (h *Hub) serveCreateRequest(w http.ResponseWriter, r *http.Request) error {
	var req hubapi.AccessRequest
	if err := h.decodeFromDevice(w, r, &req); err != nil {
		return err
	}
	return answer(w)(h.CreateRequest(bearer(r), req))
}

func (h *Hub) serveListRequests(w http.ResponseWriter, r *http.Request) error {
	rs, err := h.ListRequests(bearer(r), r.URL.Query().Get("state"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(rs))
	return nil
}

func (h *Hub) serveApprove(w http.ResponseWriter, r *http.Request) error {
	var req hubapi.ApproveRequest
	if err := h.decodeFromDevice(w, r, &req); err != nil {
		return err
	}
	return answer(w)(h.Approve(bearer(r), req))
}

func (h *Hub) serveDeny(w http.ResponseWriter, r *http.Request) error {
	var req hubapi.DenyRequest
	if err := h.decodeFromDevice(w, r, &req); err != nil {
		return err
	}
	return answer(w)(h.Deny(bearer(r), req))
}

func (h *Hub) serveRevokeGrant(w http.ResponseWriter, r *http.Request) error {
	var req hubapi.RevokeGrantRequest
	if err := h.decodeFromDevice(w, r, &req); err != nil {
		return err
	}
	return answer(w)(h.RevokeGrant(bearer(r), req.ID))
}

// answer writes a request as the answer, or passes the error on.
func answer(w http.ResponseWriter) func(hubapi.Request, error) error {
	return func(req hubapi.Request, err error) error {
		if err == nil {
			writeJSON(w, http.StatusOK, req)
		}
		return err
	}
}

func (h *Hub) serveGrant(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if q.Get("id") == "" {
		return ErrBadRequest.with("give the request's id: ?id=ID")
	}
	wait, _ := strconv.ParseBool(q.Get("wait"))
	g, err := h.Grant(r.Context(), bearer(r), q.Get("id"), wait)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

func (h *Hub) serveAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := AuditFilter{Target: q.Get("target")}
	if s := q.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return ErrBadRequest.with("since=%q: want an RFC 3339 time such as 2026-01-02T15:04:05Z", s)
		}
		f.Since = t
	}
	recs, err := h.Audit(bearer(r), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, recs)
	return nil
}

func (h *Hub) serveRegisterTargets(w http.ResponseWriter, r *http.Request) error {
	var req hubapi.RegisterTargets
	if err := h.decodeFromGateway(w, r, &req); err != nil {
		return err
	}
	info, err := h.RegisterTargets(bearer(r), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

func (h *Hub) serveGatewayGrants(w http.ResponseWriter, r *http.Request) error {
	var since uint64
	if s := r.URL.Query().Get("since"); s != "" {
		var err error
		if since, err = strconv.ParseUint(s, 10, 64); err != nil {
			return ErrBadRequest.with("since=%q: not a grants version", s)
		}
	}
	gg, err := h.GatewayGrants(r.Context(), bearer(r), since)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, gg)
	return nil
}

func (h *Hub) serveGatewayAudit(w http.ResponseWriter, r *http.Request) error {
	var recs []hubapi.AuditRecord
	if err := h.decodeFromGateway(w, r, &recs); err != nil {
		return err
	}
	res, err := h.AppendGatewayAudit(bearer(r), recs)
	if err == nil {
		writeJSON(w, http.StatusOK, res)
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
