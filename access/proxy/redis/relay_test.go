package redis

import (
	"net"
	"sync"
	"testing"
	"time"
)

// relay is a TCP relay between the proxy and redis-server that a test can
// hold (replies stop on the way back, requests still go through) and cut
// (every connection through it is closed), to break upstream connections
// at a moment of its choosing.
type relay struct {
	addr string

	mu    sync.Mutex
	cond  *sync.Cond
	held  bool       // guarded by mu
	conns []net.Conn // guarded by mu; both ends of every open pair
	sent  int        // guarded by mu; bytes relayed towards the server
}

func startRelay(t *testing.T, upstream string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{addr: ln.Addr().String()}
	r.cond = sync.NewCond(&r.mu)
	t.Cleanup(func() {
		ln.Close()
		r.cut()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			r.mu.Lock()
			r.conns = append(r.conns, c, s)
			r.mu.Unlock()
			go r.copy(s, c, true)
			go r.copy(c, s, false)
		}
	}()
	return r
}

// copy relays from src to dst; replies (towards the proxy) wait while the
// relay is held.
func (r *relay) copy(dst, src net.Conn, towardsServer bool) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			r.mu.Lock()
			for r.held && !towardsServer {
				r.cond.Wait()
			}
			if towardsServer {
				r.sent += n
			}
			r.mu.Unlock()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// hold stops replies until cut.
func (r *relay) hold() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.held = true
}

// sentBytes is how much was relayed towards the server so far.
func (r *relay) sentBytes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sent
}

// open is the number of connections through the relay still open.
func (r *relay) open() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.conns {
		if c.SetDeadline(time.Time{}) == nil {
			n++
		}
	}
	return n / 2
}

// cut closes every connection through the relay and lets replies flow
// again for the ones made afterwards.
func (r *relay) cut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		c.Close()
	}
	r.conns = nil
	r.held = false
	r.cond.Broadcast()
}
