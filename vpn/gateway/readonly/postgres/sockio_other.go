//go:build cgo && !linux

package postgres

import (
	"io"
	"net"
)

// socketIO is c itself off Linux.
func socketIO(c net.Conn) io.ReadWriter { return c }
