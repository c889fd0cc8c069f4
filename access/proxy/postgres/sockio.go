//go:build cgo

package postgres

import (
	"io"
	"net"

	"github.com/devenv-dev/devenv/internal/rawsock"
)

// socketIO reads and writes c with raw system calls when it is a socket
// (see rawsock), else c itself: the relay makes two small writes and reads
// per query, and the ordinary path's processor handoff costs more.
func socketIO(c net.Conn) io.ReadWriter {
	if s := rawsock.New(c); s != nil {
		return s
	}
	return c
}
