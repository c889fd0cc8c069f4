package redis

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// pool holds the upstream connections that sessions in the plain state
// share. Each session keeps one until it leaves the plain state or the
// connection breaks; a connection is closed when its last session lets go
// of it, so that none outlives the grants of its sessions.
type pool struct {
	dial  func(ctx context.Context) (*upstream, error)
	next  atomic.Uint32
	slots []poolSlot
}

type poolSlot struct {
	mu     sync.Mutex
	up     *upstream // guarded by mu; nil until dialed or after its last user left
	closed bool      // guarded by mu
}

// share is a session's hold on a shared upstream connection.
type share struct {
	slot *poolSlot
	up   *upstream
}

func newPool(size int, dial func(ctx context.Context) (*upstream, error)) *pool {
	return &pool{dial: dial, slots: make([]poolSlot, size)}
}

// acquire returns a shared connection, dialing one if its slot has none
// or a broken one.
func (p *pool) acquire(ctx context.Context) (share, error) {
	s := &p.slots[int(p.next.Add(1))%len(p.slots)]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return share{}, fmt.Errorf("%w: the proxy is closed", ErrUpstream)
	}
	if s.up == nil || s.up.broken() {
		up, err := p.dial(ctx)
		if err != nil {
			return share{}, err
		}
		s.up = up
	}
	s.up.users++
	return share{slot: s, up: s.up}, nil
}

// release lets go of sh; the last user of a connection closes it.
func (p *pool) release(sh share) {
	if sh.up == nil {
		return
	}
	s := sh.slot
	s.mu.Lock()
	defer s.mu.Unlock()
	sh.up.users--
	if sh.up.users > 0 {
		return
	}
	sh.up.close()
	if s.up == sh.up {
		s.up = nil
	}
}

// close closes every shared connection; sessions still using one get
// errors.
func (p *pool) close() {
	for i := range p.slots {
		s := &p.slots[i]
		s.mu.Lock()
		s.closed = true
		if s.up != nil {
			s.up.close()
		}
		s.mu.Unlock()
	}
}
