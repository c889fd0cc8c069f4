// Package gateway is the production end of access tunnels. `devenv gateway
// serve` runs it inside the production network: a userspace (netstack)
// WireGuard device, so no root is needed; one listener per target on the
// gateway's tunnel address; one peer per active grant, allowed only the
// grant's client address.
//
// The gateway enforces grants by itself. Each grant lives under a context
// whose deadline is its NotAfter, armed by the gateway's own timer: when it
// ends — deadline, revocation, or the gateway failing closed after losing
// the hub for longer than the grace — the peer is removed and every live
// connection of the grant is closed. Grants are kept in the state directory
// so that a restart re-arms them, and audit records are spooled there until
// the hub has them.
package gateway
