package vpn

import "time"

// EventKind says what happened to a running node.
type EventKind string

// Event kinds.
const (
	EventUp          EventKind = "up"           // the device is up and the control socket answers
	EventNetMap      EventKind = "netmap"       // a new network map was applied
	EventHubLost     EventKind = "hub-lost"     // the hub stopped answering; the node retries
	EventHubBack     EventKind = "hub-back"     // the hub answers again
	EventRevoked     EventKind = "revoked"      // an admin revoked the device; the node stops
	EventForward     EventKind = "forward"      // a port forward started or ended
	EventDown        EventKind = "down"         // the node stopped
	EventDeviceError EventKind = "device-error" // the device refused a change
)

// Event is one thing a running node reports. Libraries never print: the
// CLI renders events (to the terminal, or the log file of a detached node).
type Event struct {
	Time    time.Time `json:"time"`
	Kind    EventKind `json:"kind"`
	Message string    `json:"message"`
}
