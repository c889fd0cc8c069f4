//go:build cgo

package postgres

import (
	"bufio"
	"context"
	"net"

	"github.com/jackc/pgx/v5/pgproto3"
)

// Refuse answers the client's startup with a FATAL error (53300,
// too_many_connections) saying reason; a cancel request is still passed on.
func (p *Proxy) Refuse(ctx context.Context, conn net.Conn, reason string) {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	startup, err := p.receiveStartup(conn)
	if err != nil || startup == nil {
		return
	}
	out := bufio.NewWriter(conn)
	p.fatal(pgproto3.NewBackend(conn, out), out, "53300", reason)
}
