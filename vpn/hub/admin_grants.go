package hub

import (
	"net/http"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// The admin socket can list and end access without an enrolled device: an
// operator on the hub's host acts when no approver or admin device can.

const (
	adminGrants      = "/v1/grants"
	adminGrantRevoke = "/v1/grants/revoke"
)

// OpenAccess lists the pending requests and active grants, oldest first.
func (h *Hub) OpenAccess() ([]hubapi.Request, error) {
	out := []hubapi.Request{} // an empty list, not null, in JSON
	err := h.db.View(func(tx *bolt.Tx) error {
		all, err := allRequests(tx)
		for _, r := range all {
			if r.State == hubapi.StatePending || r.State == hubapi.StateApproved {
				out = append(out, r.Request)
			}
		}
		return err
	})
	slices.SortFunc(out, func(a, b hubapi.Request) int { return a.Created.Compare(b.Created) })
	return out, err
}

// AdminRevokeGrant ends a grant, or withdraws a pending request, as the
// hub, on the word of its admin socket. A request that has ended already is
// returned as it is.
func (h *Hub) AdminRevokeGrant(id string) (hubapi.Request, error) {
	var r requestRecord
	err := h.accessUpdate(func(tx *bolt.Tx, fx *accessEffects) error {
		var err error
		if r, err = getRequest(tx, id); err != nil {
			return err
		}
		if r.State != hubapi.StatePending && r.State != hubapi.StateApproved {
			return nil
		}
		return h.endLocked(tx, fx, &r, hubapi.StateRevoked, actorHub, "revoked on the hub's admin socket", h.clock.Now().UTC())
	})
	if err != nil {
		return hubapi.Request{}, err
	}
	h.log.Info("access revoked on the admin socket", "request", r.ID, "user", r.Requester, "target", r.Target)
	return r.Request, nil
}

func (h *Hub) adminListGrants(w http.ResponseWriter, _ *http.Request) error {
	rs, err := h.OpenAccess()
	if err == nil {
		writeJSON(w, http.StatusOK, rs)
	}
	return err
}

func (h *Hub) adminRevokeGrant(w http.ResponseWriter, r *http.Request) error {
	var req hubapi.RevokeGrantRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.ID) == "" {
		return ErrBadRequest.with("name the request to revoke: devenv hub grant list shows them")
	}
	return answer(w)(h.AdminRevokeGrant(req.ID))
}
