package hub

import (
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// Who may act and with which keys is in the chain too: adding and
// removing users, inviting, enrolling, revoking and leaving devices,
// rotating their keys (and, in production access, adding gateways) each
// append a record in the transaction of the change. Actions taken on the admin socket have no
// user behind them (whoever can open the socket administers the hub):
// their actor is the hub, with "via": "admin socket".

const viaAdminSocket = "admin socket"

// chainAfter appends rec in tx once the change before it succeeded.
func chainAfter(err error, tx *bolt.Tx, rec hubapi.AuditRecord) error {
	if err != nil {
		return err
	}
	return AppendAudit(tx, rec)
}

// ActorHub is the actor of what the hub does by itself, or on the word of
// its admin socket.
const ActorHub = "hub"

// AdminRecord is the audit record of action taken on the admin socket.
func AdminRecord(action string, detail map[string]string) hubapi.AuditRecord {
	detail["via"] = viaAdminSocket
	return hubapi.AuditRecord{Actor: ActorHub, Action: action, Detail: detail}
}

func userAddAudit(u User) hubapi.AuditRecord {
	return AdminRecord("user_add", map[string]string{"user": u.Name, "role": string(u.Role)})
}

func userRemoveAudit(name string, role hubapi.Role) hubapi.AuditRecord {
	return AdminRecord("user_remove", map[string]string{"user": name, "role": string(role)})
}

func inviteAudit(inv inviteRecord) hubapi.AuditRecord {
	return AdminRecord("invite_create", map[string]string{"invite": inv.ID, "user": inv.User,
		"expires": inv.Expires.Format(time.RFC3339), "uses": strconv.Itoa(inv.Uses)})
}

// deviceAudit is the record of action on device d by actor; extra are
// more details, as key, value, key, value…
func deviceAudit(actor, action string, d deviceRecord, extra ...string) hubapi.AuditRecord {
	detail := map[string]string{"device": d.ID, "name": d.Name, "user": d.User, "public_key": d.PublicKey, "address": d.Address}
	for i := 0; i+1 < len(extra); i += 2 {
		detail[extra[i]] = extra[i+1]
	}
	return hubapi.AuditRecord{Actor: actor, Action: action, Detail: detail}
}
