// Package tcp relays bytes between a client and an upstream that is
// read-only by itself (a read replica, a read-only account). devenv cannot
// tell a read from a write in opaque bytes, so the gateway accepts tcp
// targets only when their configuration says the upstream enforces it.
package tcp

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/devenv-dev/devenv/access/proxy"
)

// Options configure a Relay.
type Options struct {
	// Upstream is host:port of the read-only upstream.
	Upstream string
	// Dial reaches the upstream; nil is a net.Dialer with a 10 s timeout.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Relay is a proxy.Handler that copies bytes both ways.
type Relay struct {
	upstream string
	dial     func(ctx context.Context, network, addr string) (net.Conn, error)
}

var _ proxy.Handler = (*Relay)(nil)

// New returns a relay to o.Upstream.
func New(o Options) (*Relay, error) {
	if _, _, err := net.SplitHostPort(o.Upstream); err != nil {
		return nil, fmt.Errorf("tcp relay: upstream %q: want host:port", o.Upstream)
	}
	if o.Dial == nil {
		o.Dial = (&net.Dialer{Timeout: 10 * time.Second}).DialContext
	}
	return &Relay{upstream: o.Upstream, dial: o.Dial}, nil
}

// Serve dials the upstream and copies until either side ends or ctx is
// done. The connection's bytes are audited by the gateway (connect and
// disconnect); a failed dial is recorded here.
func (r *Relay) Serve(ctx context.Context, conn net.Conn, s proxy.Session) error {
	defer conn.Close()
	up, err := r.dial(ctx, "tcp", r.upstream)
	if err != nil {
		s.Record(proxy.Operation{Verdict: proxy.Refused, Detail: map[string]string{
			"reason": "the upstream did not answer",
		}})
		return fmt.Errorf("dialing upstream %s: %w", r.upstream, err)
	}
	defer up.Close()
	// The data context ends with the first side to finish; the control
	// context (ctx) ends both at the grant's deadline.
	data, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(data, func() {
		conn.Close()
		up.Close()
	})
	defer stop()
	var wg sync.WaitGroup
	wg.Add(2)
	go pipe(&wg, cancel, up, conn)
	go pipe(&wg, cancel, conn, up)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

// pipe copies src to dst, then half-closes dst where it can so that the
// other direction may finish; otherwise it ends the session.
func pipe(wg *sync.WaitGroup, cancel context.CancelFunc, dst, src net.Conn) {
	defer wg.Done()
	_, err := io.Copy(dst, src)
	if err == nil {
		if cw, ok := dst.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
			return
		}
	}
	cancel()
}
