package redis

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// maxOwed bounds the replies a session may owe its client before it stops
// reading commands: a client that sends without reading holds that much of
// the proxy's memory, no more.
const maxOwed = 4096

// bigReply is the size from which a reply is written to the client from
// its own buffer rather than copied into the writer's.
const bigReply = 64 << 10

// reply is one reply owed to the client. Until it is ready, buf belongs to
// whoever fills it (an upstream's reading goroutine, or the session for a
// reply of its own); once ready, to the session's writer.
type reply struct {
	buf   []byte
	req   int  // bytes of the request it answers, while in flight
	quit  bool // the session ends once this reply is written
	ready bool // guarded by replies.mu
}

// replies are the replies a session owes its client, in command order,
// whichever connection answers them.
type replies struct {
	mu         sync.Mutex
	queue      []*reply    // guarded by mu; owed, in command order
	free       []*reply    // guarded by mu; written, for reuse
	unfilled   int         // guarded by mu; replies in queue not ready yet
	finished   bool        // guarded by mu; no more replies will be added
	waiting    bool        // guarded by mu; the reader waits for a change
	writing    bool        // guarded by mu; a write to the client is under way
	rest       []byte      // guarded by mu; taken but not yet written
	quit       bool        // guarded by mu; a reply that ends the session was written
	werr       error       // guarded by mu; writing to the client failed
	held       int         // guarded by mu; bytes of replies filled but not yet written
	budget     int         // the most bytes of replies held for the client
	sending    int         // guarded by mu; bytes of requests whose replies are not filled yet
	reqLimit   int         // how many bytes of requests may be unanswered before the session reads no more
	overflowed atomic.Bool // a reply over the budget was discarded since takeOverflowed

	// now writes to the client without blocking, so that the goroutine
	// reading a shared upstream can hand replies over itself; nil when
	// the client's connection cannot.
	now    func([]byte) (int, error)
	direct []byte // guarded by mu; push's buffer, lent out while writing

	writer  chan struct{} // cap 1: the head may be ready, or finished was set
	reader  chan struct{} // cap 1: a reply was filled or written
	drained chan struct{} // cap 1: held went down
}

func newReplies(now func([]byte) (int, error), budget, reqLimit int) *replies {
	return &replies{writer: make(chan struct{}, 1), reader: make(chan struct{}, 1), drained: make(chan struct{}, 1),
		now: now, budget: budget, reqLimit: reqLimit}
}

// room is how many bytes the next reply may have: what is left of the
// budget once the replies the client has not taken yet are counted.
func (q *replies) room() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return max(q.budget-q.held, 0)
}

// tooBig is the error that replaces a reply over the budget, which it
// records.
func (q *replies) tooBig() []byte {
	q.overflowed.Store(true)
	return errorReply(fmt.Sprintf("ERR devenv gateway: reply discarded: it is larger than this session's reply limit "+
		"of %s (replies the client has not read yet count against it)", size(q.budget)))
}

// size is n bytes for people: "64 MiB".
func size(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// takeOverflowed says whether a reply was discarded for being over the
// budget since it was last asked.
func (q *replies) takeOverflowed() bool {
	return q.overflowed.Load() && q.overflowed.Swap(false)
}

// written says n bytes of replies reached the client.
func (q *replies) written(n int) {
	q.mu.Lock()
	q.held -= n
	q.wakeReaderLocked()
	q.mu.Unlock()
	q.wakeDrained()
}

func (q *replies) wakeDrained() {
	select {
	case q.drained <- struct{}{}:
	default:
	}
}

// lagging says the replies the client has not read yet fill more than
// half the budget.
func (q *replies) lagging() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.held > q.budget/2
}

// waitDrained waits, for the one goroutine reading the session's own
// upstream connection, until the session is no longer lagging, its client
// cannot be written to, or stop is closed (false).
func (q *replies) waitDrained(stop <-chan struct{}) bool {
	for {
		q.mu.Lock()
		ok := q.held <= q.budget/2 || q.werr != nil
		q.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-q.drained:
		case <-stop:
			return false
		}
	}
}

// add queues a reply to be filled later, to a request of req bytes.
func (q *replies) add(req int) *reply {
	q.mu.Lock()
	defer q.mu.Unlock()
	var r *reply
	if n := len(q.free); n > 0 {
		r, q.free = q.free[n-1], q.free[:n-1]
	} else {
		r = &reply{}
	}
	q.queue = append(q.queue, r)
	q.unfilled++
	r.req = req
	q.sending += req
	return r
}

// local queues a reply the proxy makes itself.
func (q *replies) local(b []byte, quit bool) {
	r := q.add(0)
	r.buf = append(r.buf[:0], b...)
	r.quit = quit
	if q.fill(r) {
		q.wakeWriter()
	}
}

// fill marks r ready; true when it is at the head of the queue, so the
// writer has something to write.
func (q *replies) fill(r *reply) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	r.ready = true
	q.unfilled--
	q.held += len(r.buf)
	q.sending -= r.req
	r.req = 0
	q.wakeReaderLocked()
	return q.queue[0] == r
}

func (q *replies) wakeWriter() {
	select {
	case q.writer <- struct{}{}:
	default:
	}
}

func (q *replies) wakeReaderLocked() {
	if q.waiting {
		q.waiting = false
		select {
		case q.reader <- struct{}{}:
		default:
		}
	}
}

// finish says no more replies will be added.
func (q *replies) finish() {
	q.mu.Lock()
	q.finished = true
	q.mu.Unlock()
	q.wakeWriter()
}

// takeLocked appends the replies ready at the head of the queue to dst
// and reuses them. quit says the session ends once dst is written. A big
// reply at the head when dst is empty is not copied: out is its own
// buffer, now the caller's.
func (q *replies) takeLocked(dst []byte) (out []byte, quit bool) {
	n := 0
	for _, r := range q.queue {
		if !r.ready {
			break
		}
		borrowed := false
		if len(r.buf) > bigReply {
			if n > 0 || len(dst) > 0 {
				break // written on its own, next time
			}
			dst, r.buf, borrowed = r.buf, nil, true
		} else {
			dst = append(dst, r.buf...)
		}
		n++
		quit = r.quit
		r.ready, r.quit = false, false
		if cap(r.buf) > 64<<10 {
			r.buf = nil
		}
		q.free = append(q.free, r)
		if quit || borrowed {
			break // a big reply is written alone, from its own buffer
		}
	}
	clear(q.queue[:n])
	q.queue = q.queue[n:]
	if n > 0 {
		q.wakeReaderLocked()
	}
	return dst, quit
}

// wait blocks until ok holds (called with mu held) or stop is closed.
func (q *replies) wait(stop <-chan struct{}, ok func() bool) bool {
	for {
		q.mu.Lock()
		met := ok()
		q.waiting = !met
		q.mu.Unlock()
		if met {
			return true
		}
		select {
		case <-q.reader:
		case <-stop:
			return false
		}
	}
}

// crowded says the session should read no more commands for now: it owes
// maxOwed replies, the requests it sent and has no replies to yet reach
// their limit, or the replies its client has not read yet fill half its
// budget, so that the replies to commands in flight find room.
func (q *replies) crowded() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.crowdedLocked()
}

func (q *replies) crowdedLocked() bool {
	return len(q.queue) >= maxOwed || q.sending >= q.reqLimit || q.held >= q.budget/2
}

// waitRoom waits until the session is no longer crowded.
func (q *replies) waitRoom(stop <-chan struct{}) bool {
	return q.wait(stop, func() bool { return !q.crowdedLocked() })
}

// waitFilled waits until every reply owed has been filled: the commands
// sent so far have all been answered.
func (q *replies) waitFilled(stop <-chan struct{}) bool {
	return q.wait(stop, func() bool { return q.unfilled == 0 })
}

// writeTo writes replies to w as they become ready, each batch in one
// write, until the session quits, everything owed after finish is
// written, stop is closed or the client cannot be written to.
func (q *replies) writeTo(w io.Writer, stop <-chan struct{}) error {
	var buf []byte
	for {
		q.mu.Lock()
		if q.werr != nil || (q.quit && len(q.rest) == 0) {
			q.mu.Unlock()
			return q.werr
		}
		var quit bool
		out := buf[:0]
		if !q.writing {
			if len(q.rest) > bigReply {
				out, q.rest = q.rest, nil // a big reply's own buffer
			} else {
				out = append(out, q.rest...)
				q.rest = q.rest[:0]
				if cap(q.rest) > bigReply {
					q.rest = nil
				}
			}
			if quit = q.quit; !quit && len(out) <= bigReply {
				out, quit = q.takeLocked(out)
			}
			q.writing = len(out) > 0
		}
		done := !q.writing && q.finished && len(q.queue) == 0
		q.mu.Unlock()
		if len(out) > 0 {
			_, err := w.Write(out)
			q.mu.Lock()
			q.writing = false
			q.mu.Unlock()
			if err != nil {
				return err
			}
			q.written(len(out))
			if cap(out) <= 1<<20 {
				buf = out[:0]
			}
			if !quit {
				continue // a big reply is written alone: more may be ready
			}
		}
		if quit || done {
			return nil
		}
		select {
		case <-q.writer:
		case <-stop:
			return nil
		}
	}
}

// push writes the replies ready at the head of the queue to the client
// without blocking, as far as the client takes them; the writing
// goroutine gets the rest. Without a way to write at once it wakes that
// goroutine.
func (q *replies) push() {
	if q.now == nil {
		q.wakeWriter()
		return
	}
	q.mu.Lock()
	if q.writing || len(q.rest) > 0 || q.quit || q.werr != nil {
		q.mu.Unlock()
		q.wakeWriter()
		return
	}
	buf, quit := q.takeLocked(q.direct[:0])
	q.writing = len(buf) > 0
	q.mu.Unlock()
	if len(buf) == 0 {
		return
	}
	n, err := q.now(buf)
	q.mu.Lock()
	q.writing = false
	q.held -= n
	if cap(buf) > bigReply && len(q.rest) == 0 {
		q.rest = buf[n:] // a big reply's own buffer, not q.direct
	} else {
		q.rest = append(q.rest, buf[n:]...)
	}
	q.quit = q.quit || quit
	q.werr = err
	// The writing goroutine may have been woken during the write, for a
	// reply that became ready meanwhile, and found writing set.
	wake := len(q.rest) > 0 || q.quit || err != nil || len(q.queue) > 0 && q.queue[0].ready ||
		(q.finished && len(q.queue) == 0)
	if cap(buf) <= 64<<10 {
		q.direct = buf
	}
	q.mu.Unlock()
	q.wakeDrained()
	if wake {
		q.wakeWriter()
	}
}
