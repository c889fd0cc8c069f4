//go:build unix

package redis

import (
	"io"
	"net"
	"syscall"
	"unsafe"
)

// sock reads and writes an operating system socket with raw system calls
// that the Go scheduler does not see. The socket is non-blocking, so no
// call blocks; the ordinary path would, on each call that takes a little
// longer (a loopback write that wakes the reader), hand the processor to
// another thread, which costs more than the call.
type sock struct {
	rc syscall.RawConn
}

// newSock returns nil when conn is not an operating system socket (the
// gateway's tunnel).
func newSock(conn net.Conn) *sock {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return &sock{rc: rc}
}

func rawIO(trap, fd uintptr, b []byte) (int, syscall.Errno) {
	if len(b) == 0 {
		return 0, 0
	}
	n, _, errno := syscall.RawSyscall(trap, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return int(n), errno
}

// Read waits until the socket is readable, as conn.Read does.
func (s *sock) Read(b []byte) (int, error) {
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
func (s *sock) Write(b []byte) (int, error) {
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

// writeNow writes what the socket takes at once and says how much that
// was; it never waits.
func (s *sock) writeNow(b []byte) (int, error) {
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

// socketIO is how the proxy reads and writes conn: with raw system calls
// when it is a socket, else conn itself; now is nil without a socket.
func socketIO(conn net.Conn) (r io.Reader, w io.Writer, now func([]byte) (int, error)) {
	s := newSock(conn)
	if s == nil {
		return conn, conn, nil
	}
	return s, s, s.writeNow
}
