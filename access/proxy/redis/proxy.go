// Package redis is the read-only Redis proxy of production access. It
// speaks RESP2 and RESP3 (HELLO), inline commands and pipelines, and lets
// through only the commands the upstream itself flags readonly — learned
// from COMMAND once per Handler — minus scripting, administration, Pub/Sub
// and KEYS, plus a few connection commands (PING, ECHO, SELECT, HELLO,
// WATCH, TIME, INFO, COMMAND, CLIENT SETNAME/GETNAME/ID/SETINFO) and, by
// name, the administrative reads a developer debugging the server needs:
// SLOWLOG GET/LEN, LATENCY LATEST/DOCTOR/HISTORY, MEMORY STATS/DOCTOR,
// CLIENT LIST/INFO, CONFIG GET (but no pattern that matches a parameter
// holding a secret), CLUSTER INFO/NODES/SLOTS, ACL WHOAMI, PUBSUB
// CHANNELS/NUMSUB, ROLE, FUNCTION LIST and LASTSAVE. Every other
// subcommand of those containers is refused. Readonly commands whose key
// specs may write (PFCOUNT rewrites its key's cached cardinality) and
// commands with a STORE option are refused too. Unknown commands and
// subcommands are refused.
//
// A refusal is a "-NOPERM this connection is read-only: <rule>" error and
// the connection stays usable. Refused commands never reach the upstream.
//
// # Cost
//
// Redis runs one command at a time, so a command that keeps the server
// busy for a second stalls every client of it, and the proxy's memory is
// shared by every session of the gateway. Hence limits per session:
//
//   - Options.MaxCount (1000) bounds the counts that choose the server's
//     work rather than the data: COUNT of SCAN, SSCAN, HSCAN and ZSCAN, the
//     negative count of SRANDMEMBER, HRANDFIELD and ZRANDMEMBER, SAMPLES of
//     MEMORY USAGE and COUNT of XINFO STREAM FULL. Larger counts are
//     refused, not clamped, so what runs is what the client sent and the
//     audit recorded. LCS, quadratic in its strings' lengths, is refused.
//   - Options.MaxRequestBytes (16 MiB) bounds one command (past it the
//     command is discarded as it arrives, never buffered, and answered
//     with an error), the commands queued in MULTI (EXEC then discards the
//     transaction), and the requests in flight upstream (the session reads
//     no more until replies come).
//   - Options.MaxReplyBytes (64 MiB) bounds the replies a session holds for
//     its client, the ones it has not read yet included. A reply over what
//     is left is read from the server to its end and discarded as it
//     arrives — the connection, which other sessions may share, stays in
//     step — and the client gets an error naming the limit. Replies are
//     not streamed to the client instead: on a shared connection a slow
//     client would then hold up every session on it. That session
//     goes on on a connection of its own, so that its next big reply,
//     drained from the server, holds up no other session. A session whose
//     unread replies fill half the budget reads no more commands, and on a
//     connection of its own the proxy reads no more replies either until
//     the client catches up, so there only a single reply over half the
//     budget can be discarded. A shared connection cannot wait for one
//     client: there a client that pipelines more than the budget of
//     replies and reads them slower than the server answers gets errors
//     for those that do not fit.
//
// What is not bounded here: reads whose cost is the size of the data
// (LRANGE 0 -1, SMEMBERS, HGETALL, SORT_RO, SUNION, MGET of big values),
// which the server spends its time on whatever the proxy does with the
// reply.
//
// # Trust
//
// This layer trusts the upstream's COMMAND reply, as the server's own word
// on what each command does: its flags and key specs decide, so a renamed
// command or a module's command is judged by what the server declares. It
// trusts its own RESP reader to read a command exactly as Redis does (the
// fuzz targets check that what it checked re-encodes to what it sends),
// and the upstream to frame its replies, though not to keep them small.
// It trusts nothing the client sends: every byte of it is bounded, and
// what the proxy cannot parse the way Redis does (a CONFIG GET pattern
// with [classes], a count that is not a plain integer) is refused.
//
// When this layer is wrong — a module command flagged readonly that
// writes, a subcommand allowed by mistake, a secret configuration
// parameter a newer Redis adds, a key the developer should not read — the
// next layer is the server's ACL user the gateway logs in as, if it is
// configured read-only (for example "+@read +@connection -@write
// -@dangerous" plus, by name, the debugging reads above, and a key
// pattern). Its NOPERM errors reach the client as they are. The ACL
// does not bound cost: SCAN counts, reply sizes and memory are this
// layer's alone (the server's client-output-buffer-limit for normal
// clients, unlimited by default, bounds its own memory).
//
// # Connections
//
// The gateway logs in upstream itself (AUTH [user] password) on every
// connection it opens; the client's AUTH is answered +OK locally and never
// forwarded, and AUTH arguments of HELLO are dropped. RESET is forwarded
// and followed by the gateway's AUTH again.
//
// Sessions in the plain state — RESP2, database 0, no transaction, no
// watched keys, no connection name, no blocking read — share a few
// upstream connections, as twemproxy does: the commands of many clients go
// upstream in one write and each reply goes back to the client that owes
// it, in order. A command that needs a connection of its own (SELECT,
// HELLO, WATCH, EXEC, RESET, CLIENT SETNAME and the other CLIENT
// subcommands but LIST and INFO, XREAD BLOCK and other blocking commands;
// also any command after a reply over the session's limit) first waits for the client's shared commands to be answered, then moves
// the session to a dedicated connection for the rest of its life. CLIENT
// INFO on a shared connection describes that connection, the pool's, which
// runs the session's commands among others'. A shared connection that
// breaks answers the commands it owed with an error and is replaced; a
// session that loses its dedicated connection ends after the error.
//
// MULTI is kept locally: commands are queued (refused ones are answered
// -NOPERM at once) and EXEC sends MULTI, the queue and EXEC upstream only
// when every queued command was allowed.
//
// Each command is answered by exactly one reply, which is how replies are
// put in order with local ones. That is why SUBSCRIBE and friends, MONITOR,
// CLIENT TRACKING and CLIENT REPLY — which break that pairing — are
// refused.
package redis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/devenv-dev/devenv/access/proxy"
	"github.com/devenv-dev/devenv/internal/rawsock"
)

// Options configure a Proxy.
type Options struct {
	Upstream string // host:port
	// Username and Password log the gateway in upstream; an empty Password
	// sends no AUTH, an empty Username sends AUTH password. Use a user
	// that can only read.
	Username, Password string
	// Shared is how many upstream connections sessions in the plain state
	// share: 0 means DefaultShared, a negative number gives every session
	// a connection of its own.
	Shared int
	// MaxReplyBytes bounds the replies a session holds for its client:
	// a reply is kept only while it fits in what is left of this budget
	// once the replies the client has not read yet are counted. A larger
	// reply is read from the server and discarded as it arrives, and the
	// client gets an error naming the limit instead; sessions sharing the
	// connection see nothing of it but the time the server takes to send
	// it, and the session that asked goes on on a connection of its own.
	// On a session's own connection the proxy stops reading replies while
	// the client's unread ones fill half the budget. 0 means
	// DefaultMaxReplyBytes.
	MaxReplyBytes int
	// MaxCount is the largest count a client may give a command whose
	// work on the server the count chooses: COUNT of SCAN, SSCAN, HSCAN
	// and ZSCAN, the negative count of SRANDMEMBER, HRANDFIELD and
	// ZRANDMEMBER, SAMPLES of MEMORY USAGE and COUNT of XINFO STREAM FULL
	// (where 0, no limit, is refused too). Larger counts are refused.
	// 0 means DefaultMaxCount.
	MaxCount int
	// MaxRequestBytes bounds what a session's client may have the proxy
	// hold of its requests: one command's arguments (a larger command is
	// discarded as it arrives, unbuffered, and answered with an error),
	// the commands queued in MULTI (a larger transaction is discarded at
	// EXEC), and the requests sent upstream and not yet answered (the
	// session reads no more commands until replies come). 0 means
	// DefaultMaxRequestBytes.
	MaxRequestBytes int
	// Logger receives the proxy's own errors; nil discards them.
	Logger *slog.Logger
}

// Defaults of Options' limits.
const (
	DefaultMaxReplyBytes   = 64 << 20
	DefaultMaxRequestBytes = 16 << 20
)

// DefaultShared is the number of shared upstream connections when
// Options.Shared is 0. Redis runs commands one at a time, so more
// connections spread no work on the server; two let a large reply hold up
// only the sessions on its own connection.
const DefaultShared = 2

// drainTimeout bounds how long replies are still delivered once the
// client has stopped sending.
const drainTimeout = 5 * time.Second

// Errors of Serve.
var (
	ErrUpstream = errors.New("redis upstream")
	errEnded    = errors.New("redis session ended")
)

// Proxy is a proxy.Handler for one Redis target.
type Proxy struct {
	opts Options
	log  *slog.Logger
	pool *pool // nil when every session has a connection of its own

	maxReply   int // Options.MaxReplyBytes or its default
	maxCount   int // Options.MaxCount or its default
	maxRequest int // Options.MaxRequestBytes or its default

	mu    sync.Mutex
	table Table // guarded by mu; nil until a connection has learned it
}

var _ proxy.Handler = (*Proxy)(nil)

// New returns a proxy to opts.Upstream. It does not connect until a
// session starts. Close closes its shared connections.
func New(opts Options) (proxy.Handler, error) {
	if _, _, err := net.SplitHostPort(opts.Upstream); err != nil {
		return nil, fmt.Errorf("redis proxy: upstream %q: want host:port: %w", opts.Upstream, err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Proxy{opts: opts, log: log, maxReply: opts.MaxReplyBytes}
	if p.maxReply <= 0 {
		p.maxReply = DefaultMaxReplyBytes
	}
	if p.maxCount = opts.MaxCount; p.maxCount <= 0 {
		p.maxCount = DefaultMaxCount
	}
	if p.maxRequest = opts.MaxRequestBytes; p.maxRequest <= 0 {
		p.maxRequest = DefaultMaxRequestBytes
	}
	if n := opts.Shared; n >= 0 {
		if n == 0 {
			n = DefaultShared
		}
		p.pool = newPool(n, func(ctx context.Context) (*upstream, error) { return p.dial(ctx, true) })
	}
	return p, nil
}

// Close closes the shared upstream connections; sessions still using them
// get errors. Dedicated connections end with their sessions.
func (p *Proxy) Close() error {
	if p.pool != nil {
		p.pool.close()
	}
	return nil
}

// Serve proxies one client connection until it ends or ctx is done.
func (p *Proxy) Serve(ctx context.Context, conn net.Conn, s proxy.Session) error {
	dctx, cancel := context.WithCancelCause(ctx)
	defer cancel(errEnded)
	stop := context.AfterFunc(dctx, func() { conn.Close() })
	defer stop()
	ss := newSession(dctx, cancel, p, conn, s.Record)
	defer ss.close()
	if err := ss.start(); err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return p.fail(conn, err)
	}
	err := ss.run()
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

// commands is the command table, once a connection has learned it.
func (p *Proxy) commands() Table {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.table
}

// dial opens a connection upstream and logs in; the first connection also
// learns the command table. ctx bounds the dial and the login only.
func (p *Proxy) dial(ctx context.Context, shared bool) (*upstream, error) {
	conn, err := (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, "tcp", p.opts.Upstream)
	if err != nil {
		return nil, fmt.Errorf("%w: connecting to %s: %w", ErrUpstream, p.opts.Upstream, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	rd, w, _ := rawsock.IO(conn)
	r := NewReader(rd)
	err = p.login(w, r)
	if stop() && err == nil {
		err = conn.SetDeadline(time.Time{})
	} else if err == nil {
		err = context.Cause(ctx)
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return newUpstream(conn, r, w, shared), nil
}

// login sends the gateway's AUTH and, while the table is unknown, COMMAND.
func (p *Proxy) login(conn io.Writer, r *Reader) error {
	if auth := p.auth(); auth != nil {
		if _, err := conn.Write(auth); err != nil {
			return fmt.Errorf("%w: logging in: %w", ErrUpstream, err)
		}
		v, err := r.ReadValue()
		if err != nil {
			return fmt.Errorf("%w: logging in: %w", ErrUpstream, err)
		}
		if v.Type == '-' {
			return fmt.Errorf("%w: logging in: %s", ErrUpstream, v.Str)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.table != nil {
		return nil
	}
	if _, err := conn.Write(AppendCommand(nil, []byte("COMMAND"))); err != nil {
		return fmt.Errorf("%w: asking for COMMAND: %w", ErrUpstream, err)
	}
	v, err := r.ReadValue()
	if err != nil {
		return fmt.Errorf("%w: reading COMMAND: %w", ErrUpstream, err)
	}
	t, err := ParseTable(v)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUpstream, err)
	}
	p.table = t
	return nil
}

// auth is the gateway's AUTH command; nil without a password.
func (p *Proxy) auth() []byte {
	o := p.opts
	switch {
	case o.Password == "":
		return nil
	case o.Username == "":
		return AppendCommand(nil, []byte("AUTH"), []byte(o.Password))
	default:
		return AppendCommand(nil, []byte("AUTH"), []byte(o.Username), []byte(o.Password))
	}
}
