//go:build unix

// Package rawsock reads and writes the read-only proxies' sockets with raw
// system calls, where a profile showed the ordinary path's processor
// handoff on each small loopback write costing more than the proxy's work.
package rawsock

import (
	"io"
	"net"
	"syscall"
	"unsafe"
)

// Sock reads and writes an operating system socket with raw system calls
// that the Go scheduler does not see. The socket is non-blocking, so no
// call blocks; the ordinary path would, on each call that takes a little
// longer (a loopback write that wakes the reader), hand the processor to
// another thread, which costs more than the call.
type Sock struct {
	rc syscall.RawConn
}

// New returns nil when conn is not an operating system socket (the
// gateway's tunnel, a TLS connection).
func New(conn net.Conn) *Sock {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return &Sock{rc: rc}
}

func rawIO(trap, fd uintptr, b []byte) (int, syscall.Errno) {
	if len(b) == 0 {
		return 0, 0
	}
	n, _, errno := syscall.RawSyscall(trap, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return int(n), errno
}

// Read waits until the socket is readable, as conn.Read does.
func (s *Sock) Read(b []byte) (int, error) {
	var n int
	var errno syscall.Errno
	err := s.rc.Read(func(fd uintptr) bool {
		n, errno = rawIO(syscall.SYS_READ, fd, b)
		return errno != syscall.EAGAIN && errno != syscall.EINTR
	})
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, errno
	case n == 0 && len(b) > 0:
		return 0, io.EOF
	}
	return n, nil
}

// Write writes all of b, waiting while the socket is full, as conn.Write
// does.
func (s *Sock) Write(b []byte) (int, error) {
	done := 0
	var errno syscall.Errno
	err := s.rc.Write(func(fd uintptr) bool {
		for done < len(b) {
			n, e := rawIO(syscall.SYS_WRITE, fd, b[done:])
			if e == syscall.EAGAIN {
				return false
			}
			if e == syscall.EINTR {
				continue
			}
			if e != 0 {
				errno = e
				return true
			}
			done += n
		}
		return true
	})
	if err == nil && errno != 0 {
		err = errno
	}
	return done, err
}

// WriteNow writes what the socket takes at once and says how much that
// was; it never waits.
func (s *Sock) WriteNow(b []byte) (int, error) {
	var n int
	var errno syscall.Errno
	err := s.rc.Write(func(fd uintptr) bool {
		n, errno = rawIO(syscall.SYS_WRITE, fd, b)
		return true
	})
	if n < 0 {
		n = 0
	}
	if err != nil {
		return n, err
	}
	if errno != 0 && errno != syscall.EAGAIN && errno != syscall.EINTR {
		return n, errno
	}
	return n, nil
}

// IO is how a proxy reads and writes conn: with raw system calls when it
// is a socket, else conn itself; now is nil without a socket.
func IO(conn net.Conn) (r io.Reader, w io.Writer, now func([]byte) (int, error)) {
	s := New(conn)
	if s == nil {
		return conn, conn, nil
	}
	return s, s, s.WriteNow
}
