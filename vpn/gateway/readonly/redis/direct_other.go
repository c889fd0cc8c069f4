//go:build !unix

package redis

import (
	"io"
	"net"
)

// socketIO is conn itself: there is no way to write without blocking here.
func socketIO(conn net.Conn) (r io.Reader, w io.Writer, now func([]byte) (int, error)) {
	return conn, conn, nil
}
