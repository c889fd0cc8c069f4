package accesshub

import (
	"net/http"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// The admin socket can list and end access without an enrolled device: an
// operator on the hub's host acts when no approver or admin device can.

const (
	adminGrants      = "/v1/grants"
	adminGrantRevoke = "/v1/grants/revoke"
)

// OpenAccess lists the pending requests and active grants, oldest first.
func (a *Access) OpenAccess() ([]hubapi.Request, error) {
	out := []hubapi.Request{} // an empty list, not null, in JSON
	err := a.db.View(func(tx *bolt.Tx) error {
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
func (a *Access) AdminRevokeGrant(id string) (hubapi.Request, error) {
	var r requestRecord
	err := a.accessUpdate(func(tx *bolt.Tx, fx *accessEffects) error {
		var err error
		if r, err = getRequest(tx, id); err != nil {
			return err
		}
		if r.State != hubapi.StatePending && r.State != hubapi.StateApproved {
			return nil
		}
		return a.endLocked(tx, fx, &r, hubapi.StateRevoked, hub.ActorHub, "revoked on the hub's admin socket", a.clock.Now().UTC())
	})
	if err != nil {
		return hubapi.Request{}, err
	}
	a.log.Info("access revoked on the admin socket", "request", r.ID, "user", r.Requester, "target", r.Target)
	return r.Request, nil
}

func (a *Access) adminListGrants(w http.ResponseWriter, _ *http.Request) error {
	rs, err := a.OpenAccess()
	if err == nil {
		hub.WriteJSON(w, http.StatusOK, rs)
	}
	return err
}

func (a *Access) adminRevokeGrant(w http.ResponseWriter, r *http.Request) error {
	var req hubapi.RevokeGrantRequest
	if err := decode(w, r, &req, maxBody); err != nil {
		return err
	}
	if strings.TrimSpace(req.ID) == "" {
		return hub.ErrBadRequest.With("name the request to revoke: devenv hub grant list shows them")
	}
	return answer(w)(a.AdminRevokeGrant(req.ID))
}
