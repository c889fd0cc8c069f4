//go:build unix

package redis

import (
	"errors"
	"net"
	"syscall"
)

// writeNow returns a write to conn that never blocks: it writes what the
// socket takes at once and says how much that was. Connections that are
// not operating system sockets (the gateway's tunnel) have none.
func writeNow(conn net.Conn) func([]byte) (int, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return func(b []byte) (int, error) {
		var n int
		var werr error
		err := rc.Write(func(fd uintptr) bool {
			n, werr = syscall.Write(int(fd), b)
			return true
		})
		if n < 0 {
			n = 0
		}
		if errors.Is(werr, syscall.EAGAIN) || errors.Is(werr, syscall.EINTR) {
			werr = nil
		}
		if err != nil {
			return n, err
		}
		return n, werr
	}
}
