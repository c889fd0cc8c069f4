// Package vpn is the developer's node on the team's virtual LAN: it keeps the
// device's private key (it never leaves the machine), joins with an invite,
// brings the WireGuard device up and keeps it in step with the hub.
package vpn
