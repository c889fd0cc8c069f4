package redis

import (
	"context"
	"net"
	"strings"
)

// Refuse answers the client's first command with an error saying reason.
// It reads that command first: closing a socket with unread input resets
// the connection, and the client would never see the error.
func (p *Proxy) Refuse(ctx context.Context, conn net.Conn, reason string) {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if _, err := conn.Read(make([]byte, 4096)); err != nil {
		return
	}
	conn.Write([]byte("-ERR devenv gateway: " + strings.NewReplacer("\r", " ", "\n", " ").Replace(reason) + "\r\n"))
}
