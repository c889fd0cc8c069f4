package redis

import (
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
)

// errLost is the cause given to the replies a broken upstream connection
// still owed.
var errLost = errors.New("connection lost")

// owed is one reply an upstream connection owes, in request order.
type owed struct {
	to *replies // nil: the reply is read and dropped (AUTH after RESET, MULTI's QUEUED)
	r  *reply
}

// upstream is one logged-in connection to the server. Sessions append
// requests with send; a writing goroutine sends everything appended since
// its last write in one write, and a reading goroutine hands each reply to
// the session that owes it, in order. A shared upstream carries the
// commands of many sessions in the plain state; a dedicated one belongs to
// one session.
type upstream struct {
	conn   net.Conn
	r      *Reader   // owned by the reading goroutine once started
	w      io.Writer // conn, or a faster way to write it
	shared bool

	mu    sync.Mutex
	out   []byte // guarded by mu; requests not yet written
	owed  []owed // guarded by mu; replies not yet taken by the reading goroutine
	err   error  // guarded by mu; non-nil once the connection broke or was closed
	users int    // guarded by the pool slot's mu; sessions using a shared upstream

	kick    chan struct{} // cap 1: out has requests
	done    chan struct{} // closed when the reading goroutine ends
	closing chan struct{} // closed by close
	once    sync.Once
}

func newUpstream(conn net.Conn, r *Reader, w io.Writer, shared bool) *upstream {
	u := &upstream{conn: conn, r: r, w: w, shared: shared, kick: make(chan struct{}, 1), done: make(chan struct{}),
		closing: make(chan struct{})}
	go u.write()
	go u.read()
	return u
}

// send queues requests and the replies they owe; the requests go out
// together, with nothing of other sessions between them. An error means
// nothing was queued: the connection is gone.
func (u *upstream) send(req []byte, replies []owed) error {
	u.mu.Lock()
	if u.err != nil {
		err := u.err
		u.mu.Unlock()
		return err
	}
	u.out = append(u.out, req...)
	u.owed = append(u.owed, replies...)
	u.mu.Unlock()
	select {
	case u.kick <- struct{}{}:
	default:
	}
	return nil
}

// broken says whether the connection can take no more requests.
func (u *upstream) broken() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.err != nil
}

// close ends the connection; replies still owed are answered with errors.
func (u *upstream) close() {
	u.mu.Lock()
	if u.err == nil {
		u.err = net.ErrClosed
	}
	u.mu.Unlock()
	u.once.Do(func() { close(u.closing) })
	u.conn.Close()
}

// write sends the requests queued since its last write in one write.
func (u *upstream) write() {
	var spare []byte
	for {
		select {
		case <-u.kick:
		case <-u.done:
			return
		}
		// Let the sessions that are ready to run add their commands too,
		// for as long as they do: one write for many clients is what
		// sharing is for.
		for n, grew := 0, true; grew && n < 4; n++ {
			u.mu.Lock()
			before := len(u.out)
			u.mu.Unlock()
			runtime.Gosched()
			u.mu.Lock()
			grew = len(u.out) > before
			u.mu.Unlock()
		}
		u.mu.Lock()
		out := u.out
		if len(out) == 0 {
			u.mu.Unlock()
			continue
		}
		u.out = spare[:0]
		u.mu.Unlock()
		if _, err := u.w.Write(out); err != nil {
			u.conn.Close() // the reading goroutine answers what is owed
			return
		}
		if cap(out) <= 1<<20 {
			spare = out
		} else {
			spare = nil
		}
	}
}

// read hands each reply to the session that owes it. Sessions are woken
// once the replies already buffered are handed out, so that a session
// whose pipeline is answered writes it to its client at once.
func (u *upstream) read() {
	var (
		mine []owed     // taken from u.owed, answered up to next
		next int        //
		wake []*replies // sessions with a reply ready at their head
		drop []byte     // scratch for replies read and dropped
		err  error      //
		r    = u.r      //
		lost = errLost  //
	)
	for err == nil {
		if r.Buffered() == 0 {
			wake = wakeAll(wake)
			if _, err = r.br.Peek(1); err != nil {
				break
			}
		}
		if next == len(mine) {
			clear(mine)
			u.mu.Lock()
			mine, u.owed, next = u.owed, mine[:0], 0
			u.mu.Unlock()
			if len(mine) == 0 {
				lost = fmt.Errorf("%w: reply to no request", ErrProtocol)
				break
			}
		}
		o := mine[next]
		next++
		if o.to == nil {
			_, _, err = r.ReadReplyLimit(drop[:0], 0) // read, not kept
			continue
		}
		if !u.shared && o.to.lagging() {
			// A connection of the session's own waits for its client to
			// read, rather than have replies discarded: the server holds
			// the rest meanwhile. A shared one cannot wait for one client.
			wake = wakeAll(wake)
			if !o.to.waitDrained(u.closing) {
				err, lost = net.ErrClosed, net.ErrClosed
				next--
				continue
			}
		}
		var over bool
		o.r.buf, over, err = r.ReadReplyLimit(o.r.buf[:0], o.to.room())
		if over {
			// Read to its end and discarded: the connection stays in step
			// and the sessions sharing it see nothing of it. The part
			// kept before the limit was passed is let go at once.
			if cap(o.r.buf) > bigReply {
				o.r.buf = nil
			}
			o.r.buf = append(o.r.buf, o.to.tooBig()...)
		}
		if err == nil && o.to.fill(o.r) {
			wake = appendNew(wake, o.to)
		}
		if err != nil {
			next-- // o is answered with the error below
		}
	}
	u.fail(mine[next:], fmt.Errorf("%w: %w", ErrUpstream, lost))
	wakeAll(wake)
}

// fail answers every reply still owed with err and ends the connection.
// A session that loses its dedicated connection ends after the error.
func (u *upstream) fail(mine []owed, err error) {
	u.mu.Lock()
	if u.err == nil {
		u.err = err
	}
	rest := u.owed
	u.owed = nil
	u.mu.Unlock()
	u.conn.Close()
	close(u.done)
	msg := errorReply("ERR devenv gateway: " + err.Error())
	for _, o := range append(mine, rest...) {
		if o.to == nil {
			continue
		}
		o.r.buf = append(o.r.buf[:0], msg...)
		o.r.quit = !u.shared
		if o.to.fill(o.r) {
			o.to.wakeWriter()
		}
	}
}

func appendNew(wake []*replies, q *replies) []*replies {
	for _, w := range wake {
		if w == q {
			return wake
		}
	}
	return append(wake, q)
}

func wakeAll(wake []*replies) []*replies {
	for i, q := range wake {
		q.push()
		wake[i] = nil
	}
	return wake[:0]
}
