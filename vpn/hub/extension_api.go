package hub

import (
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/internal/clock"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// What an Extension may use of the hub: its store and clock, who a device
// token belongs to, its long-poll slots, its webhook, and the helpers its
// handlers share with the hub's own.

// DB is the hub's store. An extension's change is one transaction
// together with its audit record (AppendAudit).
func (h *Hub) DB() *bolt.DB { return h.db }

// Clock is the clock the hub stamps records and arms deadlines by.
func (h *Hub) Clock() clock.Clock { return h.clock }

// Logger is the hub's log.
func (h *Hub) Logger() *slog.Logger { return h.log }

// Notify sends text to the webhook in the background (Options.Webhook);
// nothing when none is set.
func (h *Hub) Notify(text string) { h.webhook.send(text) }

// Handle serves f; its error answers as a hubapi.Error, and counts
// against the caller's source like the hub's own failures.
func (h *Hub) Handle(f func(http.ResponseWriter, *http.Request) error) http.Handler {
	return h.handle(f)
}

// HoldPoll takes one of the long-poll slots of key (such as "gateway
// NAME") for as long as the poll waits, or refuses with
// ErrTooManyRequests when key holds Options.MaxLongPolls already.
func (h *Hub) HoldPoll(key string) (release func(), err error) { return h.holdPoll(key) }

// HoldDevicePoll is HoldPoll for the device of token.
func (h *Hub) HoldDevicePoll(token string) (release func(), err error) {
	return h.holdDevicePoll(token)
}

// DecodeFromDevice reads a device's request body into v once its token is
// known: a stranger's large POST costs a token lookup, not its size.
func (h *Hub) DecodeFromDevice(w http.ResponseWriter, r *http.Request, v any) error {
	if err := h.db.View(func(tx *bolt.Tx) error { _, err := deviceByToken(tx, bearer(r)); return err }); err != nil {
		return err
	}
	return decodeJSON(w, r, v)
}

// Caller is the user behind a device token.
type Caller struct {
	User   string
	Role   hubapi.Role
	Device string // the device's ID
	UserID string // the user's ID: unique for ever, unlike the name
	u      userRecord
}

// CallerOf finds the user behind a live device's token: a revoked
// device, and one whose user was removed (or removed and added again),
// has none.
func CallerOf(tx *bolt.Tx, token string) (Caller, error) {
	d, err := deviceByToken(tx, token)
	if err != nil {
		return Caller{}, err
	}
	if d.Revoked {
		return Caller{}, ErrRevoked
	}
	u, ok, err := getUser(tx, d.User)
	if err != nil {
		return Caller{}, err
	}
	if !ok || !u.binds(d.UserID, d.Created) {
		return Caller{}, ErrUnauthorized
	}
	return Caller{User: d.User, Role: u.Role, Device: d.ID, UserID: u.ID, u: u}, nil
}

// Binds reports whether a record made at created for user ID id is the
// caller's: records from before users had IDs carry none, and are the
// caller's when made after the user was added.
func (c Caller) Binds(id string, created time.Time) bool { return c.u.binds(id, created) }

// Bearer is the token a request carries.
func Bearer(r *http.Request) string { return bearer(r) }

// WriteJSON answers v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }

// GetJSON reads record key of b into v; ok is false when there is none. A
// record that does not parse is an error naming it and the doctor.
func GetJSON(b *bolt.Bucket, key string, v any) (ok bool, err error) { return getJSON(b, key, v) }

// PutJSON writes v as record key of b.
func PutJSON(b *bolt.Bucket, key string, v any) error { return putJSON(b, key, v) }

// MetaBucket is the store's bucket of single values; an extension keeps
// its keys there apart from the hub's ("version", "wgkey").
func MetaBucket(tx *bolt.Tx) *bolt.Bucket { return tx.Bucket(bucketMeta) }

// NewSecret returns n random bytes, URL-safe base64 encoded: tokens.
func NewSecret(n int) string { return secret(n) }

// NewID returns a short random identifier.
func NewID() string { return newID() }

// HashSecret is how the store keeps a secret or token.
func HashSecret(s string) []byte { return hashSecret(s) }

// ValidName reports whether s may name a device, a gateway or a target.
func ValidName(s string) bool { return deviceNameRE.MatchString(s) }

// FirstHost is a network's first host address: the hub's own in the
// LAN, a gateway's own in its access network.
func FirstHost(network netip.Prefix) netip.Addr { return hubAddress(network) }

// Usable reports whether a client may hold addr in network: inside it,
// not its first host, and not an IPv4 network or broadcast address.
func Usable(network netip.Prefix, addr netip.Addr) bool { return usable(network, addr) }

// Capacity is how many clients a network holds besides its first host.
func Capacity(network netip.Prefix) float64 { return capacity(network) }

// AuditBucket is the trail's bucket, Seq (8 bytes big-endian) ->
// hubapi.AuditRecord, for an extension that reads it raw; write to it
// only through AppendAudit.
func AuditBucket(tx *bolt.Tx) *bolt.Bucket { return tx.Bucket(bucketAudit) }

// StoreFile is the store's file in the data directory.
const StoreFile = storeName

// ErrLocked is returned when another process holds the store.
var ErrLocked = errLocked
