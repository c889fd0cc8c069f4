// Package hubapi holds the wire types and paths shared by the hub, its
// clients and gateways. It depends on the standard library only.
package hubapi

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Version is the API version; every path starts with BasePath.
const (
	Version  = "v1"
	BasePath = "/api/v1"
)

// Paths of the hub API. Requests other than Enroll carry
// "Authorization: Bearer <token>" (a device token, or an admin token).
const (
	PathEnroll  = BasePath + "/enroll"         // POST EnrollRequest -> EnrollResponse (auth: the invite secret)
	PathNetMap  = BasePath + "/netmap"         // GET ?since=VERSION -> NetMap; long-polls up to 25 s for a newer one
	PathLeave   = BasePath + "/leave"          // POST (device token) -> 204; frees the address
	PathDevices = BasePath + "/devices"        // GET -> []Device (admin)
	PathRevoke  = BasePath + "/devices/revoke" // POST RevokeRequest (admin) -> 204
	PathMetrics = "/metrics"                   // Prometheus text
)

// Role of a user.
type Role string

// Roles.
const (
	RoleDeveloper Role = "developer"
	RoleApprover  Role = "approver"
	RoleAdmin     Role = "admin"
)

// InvitePrefix starts every encoded invite.
const InvitePrefix = "devenv-invite-v1:"

// Invite is what `devenv hub invite create` prints, in one copy-paste string.
type Invite struct {
	HubURL      string `json:"u"` // https://host:port
	Fingerprint string `json:"f"` // hex SHA-256 of the hub certificate's DER; clients pin it
	Secret      string `json:"s"` // one-time secret; the hub stores only its hash
}

// Encode renders the invite as one line.
func (i Invite) Encode() string {
	b, _ := json.Marshal(i)
	return InvitePrefix + base64.RawURLEncoding.EncodeToString(b)
}

// ErrBadInvite is returned for text that is not an invite.
var ErrBadInvite = errors.New("not a devenv invite; copy the whole line that devenv hub invite create printed")

// ParseInvite reads an encoded invite.
func ParseInvite(s string) (Invite, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), InvitePrefix)
	if !ok {
		return Invite{}, ErrBadInvite
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return Invite{}, ErrBadInvite
	}
	var i Invite
	if json.Unmarshal(b, &i) != nil || i.HubURL == "" || i.Fingerprint == "" || i.Secret == "" {
		return Invite{}, ErrBadInvite
	}
	return i, nil
}

// EnrollRequest redeems an invite for a device. Only the public key is sent.
type EnrollRequest struct {
	Secret    string `json:"secret"`
	Name      string `json:"name"`       // device name, unique per user
	PublicKey string `json:"public_key"` // base64 WireGuard public key
}

// EnrollResponse is the device's identity on the network.
type EnrollResponse struct {
	DeviceID string  `json:"device_id"`
	Token    string  `json:"token"`   // device token for later calls; the hub stores its hash
	Address  string  `json:"address"` // the device's address, e.g. 100.100.0.7/32
	Network  string  `json:"network"` // the whole virtual LAN, e.g. 100.100.0.0/16
	User     string  `json:"user"`
	Hub      HubPeer `json:"hub"`
}

// HubPeer is the one WireGuard peer every device has: the hub.
type HubPeer struct {
	PublicKey  string   `json:"public_key"`
	Endpoint   string   `json:"endpoint"`    // host:port (UDP)
	Address    string   `json:"address"`     // the hub's own tunnel address, e.g. 100.100.0.1/32
	AllowedIPs []string `json:"allowed_ips"` // the network plus advertised subnets: routed via the hub
}

// Device is a registered device as the hub reports it.
type Device struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	User      string    `json:"user"`
	PublicKey string    `json:"public_key"`
	Address   string    `json:"address"`
	Created   time.Time `json:"created"`
	Revoked   bool      `json:"revoked,omitempty"`
}

// NetMap is what a node needs to know, versioned so it can long-poll.
type NetMap struct {
	Version uint64   `json:"version"`
	Self    Device   `json:"self"`
	Hub     HubPeer  `json:"hub"`
	Peers   []Device `json:"peers"` // the other devices, for status and names
	// Revoked is true when this device was revoked: the node must stop.
	Revoked bool `json:"revoked,omitempty"`
}

// RevokeRequest names a device to revoke.
type RevokeRequest struct {
	ID string `json:"id"`
}

// Error is the body of every non-2xx answer.
type Error struct {
	Code    string `json:"code"`    // machine-readable: invite_expired, invite_used, invite_unknown, name_taken, address_space_full, unauthorized, revoked, ...
	Message string `json:"message"` // one line saying what to do
}
