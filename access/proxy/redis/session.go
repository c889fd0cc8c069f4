package redis

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/devenv-dev/devenv/access/proxy"
	"github.com/devenv-dev/devenv/internal/rawsock"
)

// maxBatch is how many bytes of commands a session gathers before it
// hands them upstream, even while more of the client's pipeline is
// buffered.
const maxBatch = 64 << 10

// session is one client connection. Its reading goroutine (Serve's) owns
// every field but out, which it shares with the writing goroutine and the
// upstreams' reading goroutines.
type session struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	p      *Proxy
	conn   net.Conn
	rec    func(proxy.Operation)
	table  Table

	cr  *Reader
	cw  io.Writer // the client's connection, or a faster way to write it
	out *replies

	shared share     // the shared connection while in the plain state
	own    *upstream // the dedicated connection once out of it; nil before

	batch []byte // commands not yet handed upstream
	owing []owed // the replies they owe
	multi *txn   // nil outside MULTI
}

// txn is a transaction queued locally.
type txn struct {
	cmds    []byte // the queued commands, encoded
	n       int
	refused []string // names of refused commands
	over    string   // why it is too large to send, if it is
}

func newSession(ctx context.Context, cancel context.CancelCauseFunc, p *Proxy, conn net.Conn,
	rec func(proxy.Operation)) *session {
	r, w, now := rawsock.IO(conn)
	cr := NewReader(r)
	cr.SetCommandLimit(p.maxRequest)
	return &session{ctx: ctx, cancel: cancel, p: p, conn: conn, rec: rec, cr: cr, cw: w,
		out: newReplies(now, p.maxReply, p.maxRequest)}
}

// start takes a shared connection, or a dedicated one when nothing is
// shared, and with it the command table.
func (ss *session) start() error {
	var err error
	if ss.p.pool != nil {
		ss.shared, err = ss.p.pool.acquire(ss.ctx)
	} else {
		ss.own, err = ss.p.dial(ss.ctx, false)
	}
	if err != nil {
		return err
	}
	ss.table = ss.p.commands()
	return nil
}

// close lets go of the session's upstream connections.
func (ss *session) close() {
	if ss.p.pool != nil {
		ss.p.pool.release(ss.shared)
		ss.shared = share{}
	}
	if ss.own != nil {
		ss.own.close()
	}
}

// run reads commands and answers them until either side ends.
func (ss *session) run() error {
	werr := make(chan error, 1)
	go func() {
		err := ss.out.writeTo(ss.cw, ss.ctx.Done())
		ss.cancel(errEnded) // the client has had its last reply, or cannot get it
		werr <- err
	}()
	rerr := ss.read()
	ferr := ss.flush()
	ss.out.finish()
	// Replies still owed are delivered, but a client that has gone must not
	// keep an upstream connection waiting on a blocking read.
	t := time.AfterFunc(drainTimeout, func() { ss.cancel(errEnded) })
	defer t.Stop()
	err := <-werr
	switch {
	case rerr != nil && !errors.Is(rerr, io.EOF):
		return rerr
	case ferr != nil:
		return ferr
	}
	return err
}

// read reads commands, answering refused ones itself and gathering the
// others for upstream, which get them when the client's buffered input
// is used up.
func (ss *session) read() error {
	for {
		if ss.cr.Buffered() == 0 || len(ss.batch) >= maxBatch {
			if err := ss.flush(); err != nil {
				return err
			}
		}
		args, err := ss.cr.ReadCommand()
		if errors.Is(err, ErrTooLarge) {
			ss.tooLarge(args)
			continue
		}
		if errors.Is(err, ErrProtocol) {
			ss.out.local(errorReply("ERR Protocol error: "+err.Error()), true)
			return nil
		}
		if err != nil {
			return err
		}
		if ss.out.crowded() {
			if err := ss.flush(); err != nil {
				return err
			}
			if !ss.out.waitRoom(ss.ctx.Done()) {
				return context.Cause(ss.ctx)
			}
		}
		if ss.own == nil && ss.p.pool != nil && ss.out.takeOverflowed() {
			// A session that asked for a reply over its limit goes on on
			// a connection of its own: the next such reply, drained from
			// the server, holds up only the session that asked for it.
			if err := ss.dedicate(); err != nil {
				if ss.ctx.Err() != nil {
					return err
				}
				ss.p.log.Warn("redis session: a connection of its own for a session with big replies", "err", err)
			}
		}
		quit, err := ss.handle(args)
		if err != nil || quit {
			return err
		}
	}
}

// upstream is where the session's commands go.
func (ss *session) upstream() *upstream {
	if ss.own != nil {
		return ss.own
	}
	return ss.shared.up
}

// flush hands the gathered commands upstream. A shared connection that
// broke before taking them is replaced and they are sent again; the error
// is the session's end.
func (ss *session) flush() error {
	if len(ss.owing) == 0 {
		return nil
	}
	err := errLost
	if up := ss.upstream(); up != nil {
		err = up.send(ss.batch, ss.owing)
	}
	if err != nil && ss.own == nil {
		ss.p.pool.release(ss.shared)
		if ss.shared, err = ss.p.pool.acquire(ss.ctx); err == nil {
			err = ss.shared.up.send(ss.batch, ss.owing)
		}
	}
	if err != nil {
		msg := errorReply("ERR devenv gateway: " + err.Error())
		for _, o := range ss.owing {
			if o.to != nil {
				o.r.buf = append(o.r.buf[:0], msg...)
				o.r.quit = ss.own != nil
				if o.to.fill(o.r) {
					o.to.wakeWriter()
				}
			}
		}
	}
	clear(ss.owing)
	ss.batch, ss.owing = ss.batch[:0], ss.owing[:0]
	if cap(ss.batch) > 1<<20 {
		ss.batch = nil
	}
	if err != nil && ss.own != nil {
		return err
	}
	return nil
}

// forward gathers one command for upstream and queues its reply; extra
// is the bytes of other requests gathered for it (a transaction's).
func (ss *session) forward(args [][]byte, extra int) {
	n := len(ss.batch)
	ss.batch = AppendCommand(ss.batch, args...)
	ss.owing = append(ss.owing, owed{to: ss.out, r: ss.out.add(len(ss.batch) - n + extra)})
}

// tooLarge answers a command that was over the request limit and
// discarded as it arrived; args are those that fitted. Within MULTI it
// dooms the transaction, as a command Redis cannot queue does.
func (ss *session) tooLarge(args [][]byte) {
	name := "?"
	if len(args) > 0 {
		name = ss.table.name(args[0])
	}
	reason := "command larger than the request limit of " + size(ss.p.maxRequest)
	ss.record(printable(name), 0, reason)
	if ss.multi != nil {
		ss.multi.over = reason
	}
	ss.out.local(errorReply("ERR devenv gateway: command discarded: it is larger than this session's request limit of "+
		size(ss.p.maxRequest)), false)
}

// dedicate moves the session to a connection of its own, once its
// commands on the shared one have been answered.
func (ss *session) dedicate() error {
	if ss.own != nil {
		return nil
	}
	if err := ss.flush(); err != nil {
		return err
	}
	if !ss.out.waitFilled(ss.ctx.Done()) {
		return context.Cause(ss.ctx)
	}
	own, err := ss.p.dial(ss.ctx, false)
	if err != nil {
		return err
	}
	ss.own = own
	ss.p.pool.release(ss.shared)
	ss.shared = share{}
	return nil
}

func (ss *session) record(name string, keys int, reason string) {
	op := proxy.Operation{Verdict: proxy.Allowed, Detail: map[string]string{
		"command": name, "keys": strconv.Itoa(keys),
	}}
	if reason != "" {
		op.Verdict = proxy.Refused
		op.Detail["reason"] = reason
	}
	ss.rec(op)
}

var (
	okReply     = []byte("+OK\r\n")
	queuedReply = []byte("+QUEUED\r\n")
)

func errorReply(msg string) []byte {
	return []byte("-" + oneLine(msg) + "\r\n")
}

func refusedReply(rule string) []byte {
	return errorReply("NOPERM this connection is read-only: " + rule)
}
