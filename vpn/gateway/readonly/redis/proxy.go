// Package redis is the read-only Redis proxy of production access. It
// speaks RESP2 and RESP3 (HELLO), inline commands and pipelines, and lets
// through only the commands the upstream itself flags readonly — learned
// from COMMAND once per Handler — minus scripting, administration, Pub/Sub
// and KEYS, plus a few connection commands (PING, ECHO, SELECT, HELLO,
// WATCH, TIME, INFO, COMMAND, CLIENT SETNAME/GETNAME/ID/INFO/SETINFO).
// Readonly commands whose key specs may write (PFCOUNT rewrites its key's
// cached cardinality) and commands with a STORE option are refused too.
// Unknown commands and subcommands are refused.
//
// A refusal is a "-NOPERM this connection is read-only: <rule>" error and
// the connection stays usable.
//
// The gateway logs in upstream itself (AUTH [user] password) when a
// session starts; the client's AUTH is answered +OK locally and never
// forwarded, and AUTH arguments of HELLO are dropped. RESET is forwarded
// and followed by the gateway's AUTH again.
//
// MULTI is kept locally: commands are queued (refused ones are answered
// -NOPERM at once) and EXEC sends MULTI, the queue and EXEC upstream only
// when every queued command was allowed.
//
// Each command is answered by exactly one reply, which is how pipelined
// replies are put in order with local ones. That is why SUBSCRIBE and
// friends, MONITOR, CLIENT TRACKING and CLIENT REPLY — which break that
// pairing — are refused.
package redis

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/devenv-dev/devenv/vpn/gateway/readonly"
)

// Options configure a Proxy.
type Options struct {
	Upstream string // host:port
	// Username and Password log the gateway in upstream; an empty Password
	// sends no AUTH, an empty Username sends AUTH password. Use a user
	// that can only read.
	Username, Password string
	// Logger receives the proxy's own errors; nil discards them.
	Logger *slog.Logger
}

// drainTimeout bounds how long replies are still delivered once the
// client has stopped sending.
const drainTimeout = 5 * time.Second

// Errors of Serve.
var (
	ErrUpstream = errors.New("redis upstream")
	errEnded    = errors.New("redis session ended")
)

// Proxy is a readonly.Handler for one Redis target.
type Proxy struct {
	opts Options
	log  *slog.Logger

	mu    sync.Mutex
	table Table // guarded by mu; nil until a session has learned it
}

var _ readonly.Handler = (*Proxy)(nil)

// New returns a proxy to opts.Upstream. It does not connect until a
// session starts.
func New(opts Options) (readonly.Handler, error) {
	if _, _, err := net.SplitHostPort(opts.Upstream); err != nil {
		return nil, fmt.Errorf("redis proxy: upstream %q: want host:port: %w", opts.Upstream, err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Proxy{opts: opts, log: log}, nil
}

// Serve proxies one client connection until it ends or ctx is done.
func (p *Proxy) Serve(ctx context.Context, conn net.Conn, s readonly.Session) error {
	dctx, cancel := context.WithCancelCause(ctx)
	defer cancel(errEnded)
	up, err := (&net.Dialer{Timeout: 10 * time.Second}).DialContext(dctx, "tcp", p.opts.Upstream)
	if err != nil {
		return p.fail(conn, fmt.Errorf("%w: connecting to %s: %w", ErrUpstream, p.opts.Upstream, err))
	}
	stop := context.AfterFunc(dctx, func() {
		conn.Close()
		up.Close()
	})
	defer stop()
	defer up.Close()
	ss := &session{
		p: p, rec: s.Record, cancel: cancel, done: dctx.Done(),
		cr: NewReader(conn), cw: bufio.NewWriterSize(conn, 32<<10),
		ur: NewReader(up), uw: bufio.NewWriterSize(up, 32<<10),
		pending: make(chan pending, 1024),
	}
	if ss.table, err = ss.start(); err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return p.fail(conn, err)
	}
	err = ss.run()
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	conn.Close()
	return err
}

// fail tells the client why the session cannot start and ends it.
func (p *Proxy) fail(conn net.Conn, err error) error {
	p.log.Warn("redis session", "err", err)
	conn.SetWriteDeadline(time.Now().Add(time.Second))
	io.WriteString(conn, "-ERR devenv gateway: "+oneLine(err.Error())+"\r\n")
	conn.Close()
	return err
}

// start logs in upstream and returns the command table, asking the
// upstream for it if no session has yet.
func (ss *session) start() (Table, error) {
	if err := ss.auth(); err != nil {
		return nil, err
	}
	if err := ss.uw.Flush(); err != nil {
		return nil, fmt.Errorf("%w: logging in: %w", ErrUpstream, err)
	}
	if ss.p.opts.Password != "" {
		v, err := ss.ur.ReadValue()
		if err != nil {
			return nil, fmt.Errorf("%w: logging in: %w", ErrUpstream, err)
		}
		if v.Type == '-' {
			return nil, fmt.Errorf("%w: logging in: %s", ErrUpstream, v.Str)
		}
	}
	ss.p.mu.Lock()
	defer ss.p.mu.Unlock()
	if ss.p.table != nil {
		return ss.p.table, nil
	}
	ss.uw.Write(AppendCommand(nil, []byte("COMMAND")))
	if err := ss.uw.Flush(); err != nil {
		return nil, fmt.Errorf("%w: asking for COMMAND: %w", ErrUpstream, err)
	}
	v, err := ss.ur.ReadValue()
	if err != nil {
		return nil, fmt.Errorf("%w: reading COMMAND: %w", ErrUpstream, err)
	}
	t, err := ParseTable(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUpstream, err)
	}
	ss.p.table = t
	return t, nil
}

// auth queues the gateway's AUTH upstream, if it has a password.
func (ss *session) auth() error {
	o := ss.p.opts
	switch {
	case o.Password == "":
		return nil
	case o.Username == "":
		_, err := ss.uw.Write(AppendCommand(nil, []byte("AUTH"), []byte(o.Password)))
		return err
	default:
		_, err := ss.uw.Write(AppendCommand(nil, []byte("AUTH"), []byte(o.Username), []byte(o.Password)))
		return err
	}
}

// pending is one reply owed to the client, in command order.
type pending struct {
	local   []byte // a reply made by the proxy; nil when it comes from upstream
	discard int    // upstream replies to read and drop first
	quit    bool   // end the session after this reply
}

// session is one client connection. The reading goroutine owns cr, uw,
// multi and table; the writing goroutine owns ur and cw.
type session struct {
	p      *Proxy
	rec    func(readonly.Operation)
	cancel context.CancelCauseFunc
	done   <-chan struct{}
	table  Table

	cr *Reader
	cw *bufio.Writer
	ur *Reader
	uw *bufio.Writer

	pending chan pending
	multi   *txn // nil outside MULTI
}

// txn is a transaction queued locally.
type txn struct {
	cmds    [][][]byte
	refused []string // names of refused commands
}

// run reads commands and answers them until either side ends.
func (ss *session) run() error {
	werr := make(chan error, 1)
	go func() { werr <- ss.write() }()
	rerr := ss.read()
	close(ss.pending)
	// Replies still owed are delivered, but a client that has gone must not
	// keep the upstream connection waiting on a blocking read.
	t := time.AfterFunc(drainTimeout, func() { ss.cancel(errEnded) })
	defer t.Stop()
	err := <-werr
	if rerr != nil && !errors.Is(rerr, io.EOF) {
		return rerr
	}
	return err
}

// read reads commands, forwarding allowed ones upstream and queueing a
// pending reply for each.
func (ss *session) read() error {
	for {
		if ss.cr.Buffered() == 0 {
			if err := ss.uw.Flush(); err != nil {
				return fmt.Errorf("%w: %w", ErrUpstream, err)
			}
		}
		args, err := ss.cr.ReadCommand()
		if errors.Is(err, ErrProtocol) {
			ss.reply(pending{local: errorReply("ERR Protocol error: " + err.Error()), quit: true})
			return nil
		}
		if err != nil {
			return err
		}
		quit, err := ss.handle(args)
		if err != nil || quit {
			return err
		}
	}
}

// write answers the client in command order.
func (ss *session) write() error {
	var buf []byte
	for p := range ss.pending {
		var err error
		for range p.discard {
			if buf, err = ss.ur.ReadReply(buf[:0]); err != nil {
				return ss.abort(fmt.Errorf("%w: %w", ErrUpstream, err))
			}
		}
		out := p.local
		if out == nil {
			if buf, err = ss.ur.ReadReply(buf[:0]); err != nil {
				return ss.abort(fmt.Errorf("%w: %w", ErrUpstream, err))
			}
			out = buf
		}
		if _, err := ss.cw.Write(out); err != nil {
			return ss.abort(err)
		}
		if cap(buf) > 1<<20 {
			buf = nil
		}
		if len(ss.pending) == 0 || p.quit {
			if err := ss.cw.Flush(); err != nil {
				return ss.abort(err)
			}
		}
		if p.quit {
			ss.cancel(errEnded)
			return nil
		}
	}
	return ss.cw.Flush()
}

func (ss *session) abort(err error) error {
	ss.cancel(err)
	return err
}

// reply queues a reply; false when the session is ending.
func (ss *session) reply(p pending) bool {
	select {
	case ss.pending <- p:
		return true
	case <-ss.done:
		return false
	}
}

// forward sends args upstream and queues its reply.
func (ss *session) forward(args [][]byte, discard int) error {
	if _, err := ss.uw.Write(AppendCommand(nil, args...)); err != nil {
		return fmt.Errorf("%w: %w", ErrUpstream, err)
	}
	ss.reply(pending{discard: discard})
	return nil
}

func (ss *session) record(name string, keys int, reason string) {
	op := readonly.Operation{Verdict: readonly.Allowed, Detail: map[string]string{
		"command": name, "keys": strconv.Itoa(keys),
	}}
	if reason != "" {
		op.Verdict = readonly.Refused
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

// handle answers one command; quit says the session ends after it.
func (ss *session) handle(args [][]byte) (quit bool, err error) {
	name := strings.ToLower(string(args[0]))
	switch name {
	case "auth":
		ss.record(name, 0, "")
		ss.reply(pending{local: okReply})
		return false, nil
	case "quit":
		ss.record(name, 0, "")
		ss.reply(pending{local: okReply, quit: true})
		return true, nil
	case "multi", "exec", "discard":
		return false, ss.transaction(name)
	case "reset":
		ss.record(name, 0, "")
		ss.multi = nil
		if err := ss.forward(args, 0); err != nil {
			return false, err
		}
		if ss.p.opts.Password != "" {
			if err := ss.auth(); err != nil {
				return false, err
			}
			ss.reply(pending{discard: 1, local: []byte{}})
		}
		return false, nil
	case "hello":
		args = stripHelloAuth(args)
	}
	name, keys, reason := ss.table.Check(args)
	ss.record(name, keys, reason)
	if ss.multi != nil {
		switch {
		case reason != "":
			ss.multi.refused = append(ss.multi.refused, name)
			ss.reply(pending{local: refusedReply(reason)})
		case name == "watch":
			ss.reply(pending{local: errorReply("ERR WATCH inside MULTI is not allowed")})
		default:
			ss.multi.cmds = append(ss.multi.cmds, args)
			ss.reply(pending{local: queuedReply})
		}
		return false, nil
	}
	if reason != "" {
		ss.reply(pending{local: refusedReply(reason)})
		return false, nil
	}
	return false, ss.forward(args, 0)
}

// transaction answers MULTI, EXEC and DISCARD.
func (ss *session) transaction(name string) error {
	t := ss.multi
	switch {
	case name == "multi" && t != nil:
		ss.reply(pending{local: errorReply("ERR MULTI calls can not be nested")})
	case name == "multi":
		ss.multi = &txn{}
		ss.reply(pending{local: okReply})
	case t == nil:
		ss.reply(pending{local: errorReply("ERR " + strings.ToUpper(name) + " without MULTI")})
	case name == "discard":
		ss.multi = nil
		ss.reply(pending{local: okReply})
	case len(t.refused) > 0:
		ss.multi = nil
		ss.record(name, 0, "transaction discarded: it contained "+display(t.refused[0]))
		ss.reply(pending{local: refusedReply("transaction discarded: it contained " + display(strings.Join(t.refused, ", ")))})
		return nil
	default:
		ss.multi = nil
		ss.record(name, 0, "")
		if _, err := ss.uw.Write(AppendCommand(nil, []byte("MULTI"))); err != nil {
			return fmt.Errorf("%w: %w", ErrUpstream, err)
		}
		for _, c := range t.cmds {
			if _, err := ss.uw.Write(AppendCommand(nil, c...)); err != nil {
				return fmt.Errorf("%w: %w", ErrUpstream, err)
			}
		}
		return ss.forward([][]byte{[]byte("EXEC")}, 1+len(t.cmds))
	}
	ss.record(name, 0, "")
	return nil
}

// stripHelloAuth drops AUTH username password from HELLO: the gateway has
// logged in already.
func stripHelloAuth(args [][]byte) [][]byte {
	out := args[:min(len(args), 2):min(len(args), 2)]
	for i := 2; i < len(args); i++ {
		switch {
		case strings.EqualFold(string(args[i]), "auth") && i+2 < len(args):
			i += 2
		case strings.EqualFold(string(args[i]), "setname") && i+1 < len(args):
			out = append(out, args[i], args[i+1])
			i++
		default:
			out = append(out, args[i])
		}
	}
	return out
}
