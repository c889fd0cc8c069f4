// Package proxy is the seam between the gateway and its protocol-aware
// read-only proxies: the gateway accepts a connection on a target's tunnel
// listener, checks that it belongs to an active grant of that target, and
// hands it to the target's Handler together with a Session. The proxies
// live in subpackages, one per protocol: httpproxy, postgres, redis and
// tcp. They import nothing of the hub or the node.
package proxy

import (
	"context"
	"net"
	"net/netip"
)

// Handler proxies one client connection to a target's upstream, letting
// through only what cannot change the upstream's data.
//
// Serve returns when the client or the upstream ends the session, or when
// ctx is done. ctx is the grant's control context: its deadline is the
// grant's NotAfter and it is cancelled, with a cause, on revocation or when
// the gateway fails closed. The gateway closes conn itself when ctx is done,
// so a Handler must also end its upstream session then; its own byte copying
// should run under a data context derived from ctx that it cancels when
// either side ends.
type Handler interface {
	Serve(ctx context.Context, conn net.Conn, s Session) error
}

// Session says whose connection a Handler serves and where its operations
// are recorded.
type Session struct {
	RequestID string // the grant's request
	Requester string
	Target    string
	Client    netip.AddrPort // the client's tunnel address
	// Record receives one audit record per operation; non-nil.
	Record func(Operation)
}

// Verdicts of operations.
const (
	Allowed = "allowed"
	Refused = "refused"
)

// Operation is one proxied operation (an HTTP request, a statement, a
// command) and its verdict, for the audit trail.
type Operation struct {
	Verdict string
	// Detail says what it was: for HTTP method, path, status, bytes; a
	// refusal adds reason.
	Detail map[string]string
}
