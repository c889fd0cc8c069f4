package hubapi

import "time"

// Paths of production access. Developers and approvers authenticate with
// their device token; gateways with a gateway token (`devenv hub gateway add`).
const (
	PathTargets        = BasePath + "/access/targets"  // GET -> []Target
	PathRequests       = BasePath + "/access/requests" // POST AccessRequest -> Request; GET ?state=pending|mine|all -> []Request
	PathApprove        = BasePath + "/access/approve"  // POST ApproveRequest -> Request (approver role; never one's own)
	PathDeny           = BasePath + "/access/deny"     // POST DenyRequest -> Request
	PathRevokeGrant    = BasePath + "/access/revoke"   // POST RevokeGrantRequest -> Request (requester, approver or admin)
	PathGrant          = BasePath + "/access/grant"    // GET ?id=ID -> Grant (the requester, once approved); long-polls ?wait=1 while pending
	PathAudit          = BasePath + "/access/audit"    // GET ?target=&since=RFC3339 -> []AuditRecord (approver/admin)
	PathGatewayTargets = BasePath + "/gateway/targets" // PUT RegisterTargets (gateway token) -> GatewayInfo
	PathGatewayGrants  = BasePath + "/gateway/grants"  // GET ?since=VERSION -> GatewayGrants; long-polls ≤25 s (gateway token)
	PathGatewayAudit   = BasePath + "/gateway/audit"   // POST []AuditRecord (gateway token; Seq/PrevHash/Hash empty) -> GatewayAuditResult
)

// Protocols of targets.
const (
	ProtocolHTTP     = "http"
	ProtocolTCP      = "tcp"
	ProtocolPostgres = "postgres"
	ProtocolRedis    = "redis"
)

// Target is a production endpoint a gateway exposes read-only. Its upstream
// address and credentials stay in the gateway's configuration.
type Target struct {
	Name        string        `json:"name"`
	Protocol    string        `json:"protocol"`
	Description string        `json:"description,omitempty"`
	Gateway     string        `json:"gateway"`
	MaxTTL      time.Duration `json:"max_ttl"`
	// Approvers may approve: user names, and/or every user of ApproverRole.
	// With neither, every user of role approver may; admins always may, and
	// developers and the requester never do.
	Approvers    []string `json:"approvers,omitempty"`
	ApproverRole Role     `json:"approver_role,omitempty"`
	// AutoApproveRole's requests are granted at once, up to AutoApproveTTL
	// (MaxTTL when 0).
	AutoApproveRole Role          `json:"auto_approve_role,omitempty"`
	AutoApproveTTL  time.Duration `json:"auto_approve_ttl,omitempty"`
	// BreakGlass allows --emergency: granted at once, capped at BreakGlassTTL
	// (DefaultBreakGlassTTL when 0, and never above MaxTTL), flagged.
	BreakGlass    bool          `json:"break_glass,omitempty"`
	BreakGlassTTL time.Duration `json:"break_glass_ttl,omitempty"`
	// Port is the port of the target's listener on the gateway's tunnel
	// address. A gateway may choose it in RegisterTargets; when it leaves it
	// 0, the hub assigns TargetPortBase+i, i being the target's index in
	// RegisterTargets.Targets, and GET PathTargets reports the port in force.
	// Grant.Gateway.TargetAddress is the gateway's tunnel address and this port.
	Port int `json:"port,omitempty"`
}

// TargetPortBase is the first port the hub assigns to targets a gateway
// registers without a Port.
const TargetPortBase = 10000

// TargetPort is the port of targets[i] as the hub assigns it.
func TargetPort(targets []Target, i int) int {
	if targets[i].Port != 0 {
		return targets[i].Port
	}
	return TargetPortBase + i
}

// RegisterTargets is what a gateway announces on start.
type RegisterTargets struct {
	PublicKey string   `json:"public_key"` // the gateway's WireGuard key
	Endpoint  string   `json:"endpoint"`   // host:port developers' access tunnels dial
	Network   string   `json:"network"`    // the gateway's access network, e.g. 100.101.0.0/16; gateway takes its first address
	Targets   []Target `json:"targets"`
}

// GatewayInfo is the hub's answer to a registration.
type GatewayInfo struct {
	Name string `json:"name"`
}

// AccessRequest asks for read-only access to one target. The client makes a
// fresh key pair for every request; only the public key is sent.
type AccessRequest struct {
	Target    string        `json:"target"`
	For       time.Duration `json:"for"`
	Reason    string        `json:"reason"`
	PublicKey string        `json:"public_key"`
	Emergency bool          `json:"emergency,omitempty"`
}

// Request states.
const (
	StatePending  = "pending"
	StateApproved = "approved" // granted; active until NotAfter
	StateDenied   = "denied"
	StateLapsed   = "lapsed"  // not decided in time
	StateRevoked  = "revoked" // cut before its deadline
	StateExpired  = "expired" // reached NotAfter
)

// Request is an access request and, once approved, its grant's lifetime.
type Request struct {
	ID         string        `json:"id"`
	Requester  string        `json:"requester"`
	Target     string        `json:"target"`
	For        time.Duration `json:"for"`
	Reason     string        `json:"reason"`
	Emergency  bool          `json:"emergency,omitempty"`
	State      string        `json:"state"`
	Created    time.Time     `json:"created"`
	Decided    time.Time     `json:"decided,omitzero"`
	Approver   string        `json:"approver,omitempty"` // who approved, denied or revoked ("auto" for auto-approval)
	DenyReason string        `json:"deny_reason,omitempty"`
	NotAfter   time.Time     `json:"not_after,omitzero"`
}

// StateAt is the request's state at now. A grant ends at its deadline
// whether or not the hub has marked it yet (the hub notices on its own
// timer, and a list read a second before the deadline still says
// approved), so an approved request at or past NotAfter is expired.
func (r Request) StateAt(now time.Time) string {
	if r.State == StateApproved && !now.Before(r.NotAfter) {
		return StateExpired
	}
	return r.State
}

// ApproveRequest approves a pending request, optionally for less time.
type ApproveRequest struct {
	ID  string        `json:"id"`
	For time.Duration `json:"for,omitempty"`
}

// DenyRequest denies a pending request.
type DenyRequest struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// RevokeGrantRequest cuts a grant (or withdraws a pending request).
type RevokeGrantRequest struct {
	ID string `json:"id"`
}

// Grant is an active grant: what the requester's access tunnel needs, and
// what the gateway enforces.
type Grant struct {
	RequestID     string    `json:"request_id"`
	Requester     string    `json:"requester"`
	Target        string    `json:"target"`
	Protocol      string    `json:"protocol"`
	PublicKey     string    `json:"public_key"`     // the grant's client key
	ClientAddress string    `json:"client_address"` // the client's tunnel address, e.g. 100.101.0.9/32
	NotAfter      time.Time `json:"not_after"`
	Emergency     bool      `json:"emergency,omitempty"`
	Gateway       Gateway   `json:"gateway"`
}

// Gateway is the peer an access tunnel dials.
type Gateway struct {
	Name          string `json:"name"`
	PublicKey     string `json:"public_key"`
	Endpoint      string `json:"endpoint"`
	Address       string `json:"address"`        // the gateway's tunnel address, e.g. 100.101.0.1/32
	TargetAddress string `json:"target_address"` // ip:port of the target's listener on the tunnel
}

// GatewayGrants is the set of active grants of one gateway, versioned for long-poll.
type GatewayGrants struct {
	Version uint64    `json:"version"`
	Grants  []Grant   `json:"grants"`
	Now     time.Time `json:"now"` // the hub's clock, for skew checks
}

// AuditRecord is one entry of the hub's append-only, hash-chained audit log.
// Hash = hex SHA-256 over PrevHash and the record's other fields in a fixed
// encoding (see AuditHash); the first record's PrevHash is "". VerifyAudit
// checks a run of records.
type AuditRecord struct {
	Seq   uint64    `json:"seq"`
	Time  time.Time `json:"time"`
	Actor string    `json:"actor"` // user, "gateway:NAME", or "hub"
	// Action: request, approve, deny, lapse, grant, connect, disconnect, operation, expire, revoke, emergency,
	// request_state (a request's seal), register, user_add, user_remove, invite_create, device_enroll,
	// device_rotate, device_leave, device_revoke, gateway_add; refused attempts also read_grant, read_audit, list.
	Action    string            `json:"action"`
	Target    string            `json:"target,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
	Verdict   string            `json:"verdict,omitempty"` // allowed, refused (Detail "code" and "reason" when the hub refused the actor)
	Detail    map[string]string `json:"detail,omitempty"`  // e.g. method, path, status, bytes
	// ReceivedAt is when the hub took a record a gateway shipped; Time is
	// then the gateway's own clock. Zero in the hub's own records.
	ReceivedAt time.Time `json:"received_at,omitzero"`
	PrevHash   string    `json:"prev_hash"`
	Hash       string    `json:"hash"`
}

// GatewayAuditResult is the hub's answer to an upload of gateway audit
// records. Every record of the upload is taken: chained, or kept aside in
// the hub's quarantine when the hub cannot attribute it to one of the
// gateway's targets and grants (a request the hub does not know, an
// action no gateway records), or dropped when the quarantine is full. The
// gateway need not send any of them again.
type GatewayAuditResult struct {
	Chained     int              `json:"chained"`
	Quarantined []RecordRejected `json:"quarantined,omitempty"`
	Dropped     []RecordRejected `json:"dropped,omitempty"`
}

// RecordRejected is a record of an upload that was not chained.
type RecordRejected struct {
	Index  int    `json:"index"` // its place in the upload
	Reason string `json:"reason"`
}
