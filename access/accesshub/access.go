package accesshub

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// Production access: developers ask for read-only access to a target a
// gateway exposes, someone else approves, and the grant lives until its
// deadline. Every change is one transaction together with its audit
// record; timers, long-poll wakes and webhooks follow the commit.

// requestRecord is a request as stored: the wire form and what only the
// hub and the gateway need.
type requestRecord struct {
	hubapi.Request
	PublicKey     string    `json:"public_key"`
	Gateway       string    `json:"gateway"`
	Protocol      string    `json:"protocol"`
	Port          int       `json:"port"`                     // the target's port when requested
	ClientAddress string    `json:"client_address,omitempty"` // a single address; set while approved
	LapseAt       time.Time `json:"lapse_at"`                 // when a pending request lapses
	// Device is the enrolled device that asked; revoking it ends the
	// request. Empty in requests stored before it was recorded: those end
	// with any device of their requester.
	Device string `json:"device,omitempty"`
	// RequesterID is the requester's user ID: a user of the same name
	// added later does not own the request. Empty in older requests
	// (hub.Caller.Binds).
	RequesterID string `json:"requester_id,omitempty"`
}

// deadline is when the request next changes by itself; zero if never.
func (r requestRecord) deadline() time.Time {
	switch r.State {
	case hubapi.StatePending:
		return r.LapseAt
	case hubapi.StateApproved:
		return r.NotAfter
	}
	return time.Time{}
}

// owns reports whether r is c's own request: same user ID, not only the
// same name.
func owns(c hub.Caller, r requestRecord) bool {
	return r.Requester == c.User && c.Binds(r.RequesterID, r.Created)
}

// visibleRequest reads request id if c may see it: their own, or any for
// approvers and admins. One c may not see answers exactly as one that does
// not exist, so the answer neither names its owner nor confirms it.
func visibleRequest(tx *bolt.Tx, c hub.Caller, id string) (requestRecord, error) {
	r, err := getRequest(tx, id)
	if err == nil && c.Role == hubapi.RoleDeveloper && !owns(c, r) {
		return requestRecord{}, requestUnknown(id)
	}
	return r, err
}

func requestUnknown(id string) error {
	return ErrRequestUnknown.With("no request %q; list them with devenv access list", id)
}

// mayApprove reports whether c may decide requests for t (their own aside).
func mayApprove(c hub.Caller, t hubapi.Target) bool {
	switch c.Role {
	case hubapi.RoleAdmin:
		return true
	case hubapi.RoleApprover:
		if slices.Contains(t.Approvers, c.User) {
			return true
		}
		role := t.ApproverRole
		if role == "" && len(t.Approvers) == 0 {
			role = hubapi.RoleApprover
		}
		return role == hubapi.RoleApprover
	}
	return false
}

// checkDecider refuses c deciding r (approve or deny) unless allowed.
func checkDecider(c hub.Caller, r requestRecord, t hubapi.Target, known bool) error {
	switch {
	case owns(c, r):
		return ErrSelfApproval.With("request %s is yours; nobody decides their own request, ask another approver of %s", r.ID, r.Target)
	case c.Role == hubapi.RoleDeveloper:
		return errDeveloperDecides(c)
	case c.Role == hubapi.RoleAdmin:
		return nil
	case !known || !mayApprove(c, t):
		return ErrNotApprover.With("%s may not decide access to %s; its approvers are %s", c.User, r.Target, approverList(t))
	}
	return nil
}

func errDeveloperDecides(c hub.Caller) error {
	return hub.ErrForbidden.With("deciding access requests needs the approver or admin role; %s is a developer", c.User)
}

// approverList says who may approve access to t, for messages.
func approverList(t hubapi.Target) string {
	var who []string
	if len(t.Approvers) > 0 {
		who = append(who, strings.Join(t.Approvers, ", "))
	}
	if t.ApproverRole != "" {
		who = append(who, "every "+string(t.ApproverRole))
	} else if len(t.Approvers) == 0 {
		who = append(who, "every approver")
	}
	return strings.Join(append(who, "and admins"), ", ")
}

// accessEffects are what a committed access change asks of the hub.
type accessEffects struct {
	changed bool                 // the access version advances: long-polls wake
	arm     map[string]time.Time // request id -> deadline to (re)arm
	disarm  []string             // request ids whose timers go
	notify  []string             // webhook messages
}

func (fx *accessEffects) armAt(id string, at time.Time) {
	if fx.arm == nil {
		fx.arm = map[string]time.Time{}
	}
	fx.arm[id] = at
}

// accessUpdate runs fn in one write transaction. When fn changed state, the
// access version advances in the same transaction; after the commit timers
// are armed, long-polls wake and webhooks go out.
func (a *Access) accessUpdate(fn func(tx *bolt.Tx, fx *accessEffects) error) error {
	var fx accessEffects
	var v uint64
	err := a.db.Update(func(tx *bolt.Tx) error {
		fx, v = accessEffects{}, 0
		if err := fn(tx, &fx); err != nil || !fx.changed {
			return err
		}
		var err error
		v, err = bumpAccessVersion(tx)
		return err
	})
	if err != nil {
		return err
	}
	a.applyAccess(fx, v)
	return nil
}

func getRequest(tx *bolt.Tx, id string) (requestRecord, error) {
	var r requestRecord
	ok, err := hub.GetJSON(tx.Bucket(bucketRequests), id, &r)
	if err == nil && !ok {
		err = requestUnknown(id)
	}
	return r, err
}

func putRequest(tx *bolt.Tx, fx *accessEffects, r requestRecord) error {
	fx.changed = true
	if err := sealRequest(tx, r); err != nil { // the trail covers every field (audit_seal.go)
		return err
	}
	return hub.PutJSON(tx.Bucket(bucketRequests), r.ID, r)
}

func allRequests(tx *bolt.Tx) ([]requestRecord, error) {
	var out []requestRecord
	err := tx.Bucket(bucketRequests).ForEach(func(k, v []byte) error {
		var r requestRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("reading request %q: %w", k, err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// checkAccessRequest validates what needs no store.
func checkAccessRequest(req hubapi.AccessRequest) error {
	if strings.TrimSpace(req.Reason) == "" {
		return hub.ErrBadRequest.With("give a reason (--reason): approvers and the audit trail need it")
	}
	if req.For <= 0 {
		return hub.ErrBadRequest.With("give how long access is needed (--for), e.g. 30m")
	}
	if _, err := wgtypes.ParseKey(req.PublicKey); err != nil {
		return hub.ErrBadRequest.With("public key: not a base64 WireGuard key")
	}
	return nil
}
