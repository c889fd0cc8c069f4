package hub

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// User is a person who may enroll devices.
type User struct {
	Name    string      `json:"name"`
	Role    hubapi.Role `json:"role"`
	Created time.Time   `json:"created"`
	// ID tells this user from an earlier one of the same name: requests
	// and devices belong to an ID, so a name removed and added again
	// inherits nothing.
	ID string `json:"id,omitempty"`
}

var userNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{0,62}$`)

// reservedName reports names the hub writes in records as its own actors
// (the hub, auto-approval, break-glass, gateways): a user called so would
// look like the system in the audit trail.
func reservedName(name string) bool {
	switch name {
	case ActorHub, "auto", "emergency": // production access's auto-approval and break-glass
		return true
	}
	return strings.HasPrefix(name, "gateway")
}

// AddUser adds a user with a role.
func (h *Hub) AddUser(name string, role hubapi.Role) (User, error) {
	if !userNameRE.MatchString(name) {
		return User{}, ErrBadRequest.With("user name %q: use lowercase letters, digits, '.', '_', '@' and '-', starting with a letter or digit", name)
	}
	if reservedName(name) {
		return User{}, ErrBadRequest.With("user name %q is reserved: the audit trail uses it for the hub itself; pick another", name)
	}
	switch role {
	case hubapi.RoleDeveloper, hubapi.RoleApprover, hubapi.RoleAdmin:
	default:
		return User{}, ErrBadRequest.With("role %q: use developer, approver or admin", role)
	}
	u := User{Name: name, Role: role, Created: h.clock.Now().UTC(), ID: newID()}
	err := h.mutate(func(tx *bolt.Tx, _ *peerChanges) error {
		users := tx.Bucket(bucketUsers)
		if users.Get([]byte(name)) != nil {
			return ErrUserExists.With("user %q exists; pick another name", name)
		}
		return chainAfter(putJSON(users, name, userRecord(u)), tx, userAddAudit(u))
	})
	if err == nil {
		h.log.Info("user added", "user", name, "role", string(role))
	}
	return u, err
}

// Users lists the users by name.
func (h *Hub) Users() ([]User, error) {
	var out []User
	err := h.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUsers).ForEach(func(_, v []byte) error {
			var u User
			err := json.Unmarshal(v, &u)
			out = append(out, u)
			return err
		})
	})
	return out, err
}

// RemoveUser removes a user, ends their requests and grants, revokes all
// their devices and drops their invites, in one transaction.
func (h *Hub) RemoveUser(name string) error {
	err := h.mutateTrust(func(tx *bolt.Tx, pc *peerChanges, te *trustEnds) error {
		users := tx.Bucket(bucketUsers)
		if users.Get([]byte(name)) == nil {
			return ErrUserUnknown.With("no user %q; list them with devenv hub user list", name)
		}
		why := fmt.Sprintf("user %s removed", name)
		if err := h.endTrustLocked(tx, te, TrustEnd{User: name, Why: why}); err != nil {
			return err
		}
		all, err := allDevices(tx)
		if err != nil {
			return err
		}
		for _, d := range all {
			if d.User == name {
				if err := h.revokeLocked(tx, pc, te, d); err != nil {
					return err
				}
			}
		}
		if err := dropInvites(tx, name); err != nil {
			return err
		}
		if err := AppendAudit(tx, userRemoveAudit(name, userRole(tx, name))); err != nil {
			return err
		}
		return users.Delete([]byte(name))
	})
	if err == nil {
		h.log.Info("user removed", "user", name)
	}
	return err
}

func dropInvites(tx *bolt.Tx, user string) error {
	invites := tx.Bucket(bucketInvites)
	var ids []string
	err := invites.ForEach(func(k, v []byte) error {
		var inv inviteRecord
		if err := json.Unmarshal(v, &inv); err != nil {
			return err
		}
		if inv.User == user {
			ids = append(ids, string(k))
		}
		return nil
	})
	for _, id := range ids {
		if err == nil {
			err = invites.Delete([]byte(id))
		}
	}
	return err
}

// InviteOptions say whom an invite is for and how long and often it works.
type InviteOptions struct {
	User string        `json:"user"`
	TTL  time.Duration `json:"ttl"`  // default 24h
	Uses int           `json:"uses"` // default 1
}

// CreatedInvite is a new invite; Invite is the line to hand to the user.
type CreatedInvite struct {
	Invite  string    `json:"invite"`
	ID      string    `json:"id"`
	User    string    `json:"user"`
	Expires time.Time `json:"expires"`
	Uses    int       `json:"uses"`
}

// CreateInvite makes an invite for an existing user. Only the hash of its
// secret is stored; the secret exists only in the returned line.
func (h *Hub) CreateInvite(opts InviteOptions) (CreatedInvite, error) {
	if opts.TTL == 0 {
		opts.TTL = 24 * time.Hour
	}
	if opts.Uses == 0 {
		opts.Uses = 1
	}
	if opts.TTL < 0 || opts.Uses < 0 {
		return CreatedInvite{}, ErrBadRequest.With("an invite needs a positive --for and --uses")
	}
	now := h.clock.Now().UTC()
	id := newID()
	sec := id + "." + secret(32)
	inv := inviteRecord{ID: id, User: opts.User, SecretHash: hashSecret(sec), Created: now, Expires: now.Add(opts.TTL), Uses: opts.Uses}
	err := h.mutate(func(tx *bolt.Tx, _ *peerChanges) error {
		if tx.Bucket(bucketUsers).Get([]byte(opts.User)) == nil {
			return ErrUserUnknown.With("no user %q; add them first with devenv hub user add", opts.User)
		}
		return chainAfter(putJSON(tx.Bucket(bucketInvites), id, inv), tx, inviteAudit(inv))
	})
	if err != nil {
		return CreatedInvite{}, err
	}
	h.log.Info("invite created", "invite", id, "user", opts.User, "expires", inv.Expires, "uses", inv.Uses)
	line := hubapi.Invite{HubURL: h.opts.PublicURL, Fingerprint: h.fingerprint, Secret: sec}.Encode()
	return CreatedInvite{Invite: line, ID: id, User: opts.User, Expires: inv.Expires, Uses: inv.Uses}, nil
}

// getUser reads the user of a name; ok is false when there is none.
func getUser(tx *bolt.Tx, name string) (userRecord, bool, error) {
	var u userRecord
	ok, err := getJSON(tx.Bucket(bucketUsers), name, &u)
	return u, ok, err
}

// binds reports whether a record made at created for user ID id (a
// device, a request) is u's. Records from before users had IDs carry none:
// those are u's when made after u was added, since an earlier user of the
// same name was removed before u existed.
func (u userRecord) binds(id string, created time.Time) bool {
	if id != "" {
		return id == u.ID
	}
	return !created.Before(u.Created)
}

// assignUserIDs gives an ID to every user added before users had one. A
// record it cannot read is left for whoever reads it to report.
func assignUserIDs(tx *bolt.Tx) error {
	users := tx.Bucket(bucketUsers)
	var missing []userRecord
	users.ForEach(func(_, v []byte) error {
		var u userRecord
		if json.Unmarshal(v, &u) == nil && u.ID == "" {
			missing = append(missing, u)
		}
		return nil
	})
	for _, u := range missing {
		u.ID = newID()
		if err := putJSON(users, u.Name, u); err != nil {
			return err
		}
	}
	return nil
}

// userRole is the role of the user of a name, "" when there is none.
func userRole(tx *bolt.Tx, name string) hubapi.Role {
	u, ok, err := getUser(tx, name)
	if !ok || err != nil {
		return ""
	}
	return u.Role
}
