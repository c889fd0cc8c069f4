package proxy

import (
	"context"
	"net"
)

// A Refuser turns a connection away in its client's own protocol, so that
// the client shows why (psql prints the error, a browser the page). The
// gateway uses it when a limit refuses a connection its grant allows;
// handlers that speak no protocol (tcp) just get the connection closed.
type Refuser interface {
	// Refuse reads as much of the client's opening as the protocol needs to
	// answer, answers with reason, and returns; the caller closes conn. It
	// must return when ctx is done.
	Refuse(ctx context.Context, conn net.Conn, reason string)
}
