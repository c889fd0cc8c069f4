package access

import (
	"errors"
	"fmt"
	"time"
)

// EventKind says what happened to a connection to a target.
type EventKind string

// Event kinds, in the order a connection usually reports them.
const (
	EventGrant    EventKind = "grant"     // the grant to use was found
	EventUp       EventKind = "up"        // the tunnel is up and Listen accepts connections
	EventHubLost  EventKind = "hub-lost"  // the hub stopped answering; the deadline still holds
	EventHubBack  EventKind = "hub-back"  // the hub answers again
	EventEnded    EventKind = "ended"     // the grant expired or was revoked; everything is closed
	EventStopped  EventKind = "stopped"   // the caller stopped the connection; the grant stays
	EventTunError EventKind = "tun-error" // closing the tunnel failed
)

// Event is one thing Connect reports. Libraries never print: the CLI
// renders events.
type Event struct {
	Time      time.Time `json:"time"`
	Kind      EventKind `json:"kind"`
	Message   string    `json:"message"`
	RequestID string    `json:"request_id,omitempty"`
	Target    string    `json:"target,omitempty"`
	Protocol  string    `json:"protocol,omitempty"`
	Listen    string    `json:"listen,omitempty"`   // 127.0.0.1:PORT, once up
	NotAfter  time.Time `json:"not_after,omitzero"` // the grant's deadline
}

// Why a grant ended.
var (
	ErrExpired = errors.New("the grant expired")
	ErrRevoked = errors.New("the grant was revoked")
)

// EndedError is how Connect returns when the grant ends; errors.Is tells
// ErrExpired from ErrRevoked.
type EndedError struct {
	Target string
	At     time.Time // the deadline, or when the revocation was noticed
	Reason error     // ErrExpired or ErrRevoked
	By     string    // who revoked, when the hub says
}

func (e *EndedError) Error() string {
	by := ""
	if e.By != "" {
		by = " by " + e.By
	}
	return fmt.Sprintf("access to %s ended at %s: %v%s", e.Target, e.At.Local().Format("15:04:05"), e.Reason, by)
}

func (e *EndedError) Unwrap() error { return e.Reason }
