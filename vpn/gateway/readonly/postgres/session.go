//go:build cgo

package postgres

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/devenv-dev/devenv/vpn/gateway/readonly"
)

// refusalToken starts the statement sent upstream in place of a refused
// one. It is a syntax error, so the server answers exactly as it does to a
// failing statement — ErrorResponse, and in the extended protocol skipping
// to Sync — keeping every response in order; the relay then replaces the
// server's error with the refusal.
const refusalToken = "devenv_refused_"

// errCut ends a session's data flow when its grant's context is done.
var errCut = errors.New("grant ended")

// session relays one client's protocol to one upstream connection. The
// client loop reads the client and writes upstream; the upstream loop
// reads upstream and is the only writer to the client after the greeting.
type session struct {
	p      *Proxy
	policy *Policy
	s      readonly.Session
	client *pgproto3.Backend
	out    *bufio.Writer // under client; flushed at message boundaries
	up     *pgproto3.Frontend
	upConn net.Conn
	key    upstreamKey

	upMu sync.Mutex // serializes writes upstream: the client loop and the cut

	// Owned by the client loop.
	prepared map[string]bool   // names of prepared statements known to be reads
	stmts    map[string]string // extended protocol: statement name → text
	portals  map[string]string // portal name → statement text

	mu sync.Mutex
	// refusals maps a refusal token sent upstream to its reason; guarded by mu.
	refusals map[string]string
	// pending are the forwarded statements awaiting completion, with a
	// marker (sync) per Query or Sync; guarded by mu.
	pending []pendingOp
}

type pendingOp struct {
	sync  bool // a Query or Sync: ends at ReadyForQuery
	sql   string
	start time.Time
}

func newSession(p *Proxy, s readonly.Session, client *pgproto3.Backend, out *bufio.Writer, hj *pgconn.HijackedConn, pol *Policy) *session {
	return &session{
		p: p, policy: pol, s: s, client: client, out: out,
		up: hj.Frontend, upConn: hj.Conn, key: upstreamKey{pid: hj.PID, secret: hj.SecretKey},
		prepared: map[string]bool{}, stmts: map[string]string{}, portals: map[string]string{},
		refusals: map[string]string{},
	}
}

// greet finishes the client's startup: no password is asked.
func (ss *session) greet(key pgproto3.BackendKeyData, hj *pgconn.HijackedConn) error {
	ss.client.Send(&pgproto3.AuthenticationOk{})
	for k, v := range hj.ParameterStatuses {
		ss.client.Send(&pgproto3.ParameterStatus{Name: k, Value: v})
	}
	ss.client.Send(&key)
	ss.client.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
	return ss.flushClient()
}

func (ss *session) flushClient() error {
	if err := ss.client.Flush(); err != nil {
		return err
	}
	return ss.out.Flush()
}

// run relays until either side ends or ctx is done; then it cancels the
// in-flight query, terminates the upstream session and closes both sides.
func (ss *session) run(ctx context.Context, conn net.Conn) error {
	errc := make(chan error, 2)
	upDone := make(chan struct{})
	go func() { errc <- ss.clientLoop() }()
	go func() { defer close(upDone); errc <- ss.upstreamLoop() }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		err = fmt.Errorf("%w: %w", errCut, context.Cause(ctx))
		ss.cut(upDone)
	}
	ss.upConn.Close()
	conn.Close()
	<-upDone
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// cut cancels whatever runs upstream and says goodbye, giving the upstream
// loop a moment to relay the cancellation's error to the client.
func (ss *session) cut(upDone <-chan struct{}) {
	if err := ss.p.cancelUpstream(ss.key); err != nil {
		ss.p.log.Warn("postgres proxy: cancelling at the grant's end", "upstream", ss.p.opts.Upstream, "err", err)
	}
	ss.upMu.Lock()
	ss.up.Send(&pgproto3.Terminate{})
	ss.up.Flush()
	ss.upMu.Unlock()
	select {
	case <-upDone:
	case <-time.After(2 * time.Second):
	}
}

func (ss *session) sendUp(msgs ...pgproto3.FrontendMessage) error {
	ss.upMu.Lock()
	defer ss.upMu.Unlock()
	for _, m := range msgs {
		ss.up.Send(m)
	}
	return nil
}

func (ss *session) flushUp() error {
	ss.upMu.Lock()
	defer ss.upMu.Unlock()
	return ss.up.Flush()
}

// clientLoop reads the client's messages, checks them and sends them (or
// their refusal tokens) upstream.
func (ss *session) clientLoop() error {
	for {
		msg, err := ss.client.Receive()
		if err != nil {
			return err
		}
		flush := true
		switch m := msg.(type) {
		case *pgproto3.Query:
			ss.query(m.String)
		case *pgproto3.Parse:
			ss.parse(m)
			flush = false
		case *pgproto3.Bind:
			ss.portals[m.DestinationPortal] = ss.stmts[m.PreparedStatement]
			ss.sendUp(m)
			flush = false
		case *pgproto3.Execute:
			ss.push(pendingOp{sql: ss.portals[m.Portal], start: time.Now()})
			ss.sendUp(m)
			flush = false
		case *pgproto3.Describe, *pgproto3.Close:
			ss.sendUp(m)
			flush = false
		case *pgproto3.Sync:
			ss.push(pendingOp{sync: true})
			ss.sendUp(m)
		case *pgproto3.Flush:
			ss.sendUp(m)
		case *pgproto3.FunctionCall:
			ss.refuse(fmt.Sprintf("FunctionCall of function OID %d", m.Function), "the FunctionCall protocol message is refused: it can call any function")
		case *pgproto3.Terminate:
			ss.sendUp(m)
			ss.flushUp()
			return nil
		case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
			// COPY FROM never reaches the server, so there is no copy to feed.
			flush = false
		default:
			return fmt.Errorf("unexpected client message %T", msg)
		}
		if flush {
			if err := ss.flushUp(); err != nil {
				return err
			}
		}
	}
}

func (ss *session) query(sql string) {
	stmts := ss.policy.Check(sql, ss.prepared)
	if r := Refusal(stmts); r != "" {
		ss.refuse(sql, r)
		return
	}
	now := time.Now()
	for _, st := range stmts {
		ss.push(pendingOp{sql: st.SQL, start: now})
	}
	ss.push(pendingOp{sync: true})
	ss.sendUp(&pgproto3.Query{String: sql})
}

func (ss *session) parse(m *pgproto3.Parse) {
	stmts := ss.policy.Check(m.Query, ss.prepared)
	if r := Refusal(stmts); r != "" {
		delete(ss.stmts, m.Name)
		tok := ss.token(m.Query, r)
		ss.sendUp(&pgproto3.Parse{Name: m.Name, Query: tok})
		return
	}
	ss.stmts[m.Name] = m.Query
	if m.Name != "" {
		ss.prepared[m.Name] = true
	}
	ss.sendUp(m)
}

// refuse answers a simple-protocol message with a refusal, in order.
func (ss *session) refuse(sql, reason string) {
	tok := ss.token(sql, reason)
	ss.push(pendingOp{sync: true})
	ss.sendUp(&pgproto3.Query{String: tok})
}

// token records a refusal and returns the statement to send upstream.
func (ss *session) token(sql, reason string) string {
	var b [8]byte
	rand.Read(b[:])
	tok := refusalToken + hex.EncodeToString(b[:])
	ss.mu.Lock()
	ss.refusals[tok] = reason
	ss.mu.Unlock()
	ss.record(readonly.Refused, sql, map[string]string{"reason": reason})
	return tok
}

func (ss *session) push(op pendingOp) {
	ss.mu.Lock()
	ss.pending = append(ss.pending, op)
	ss.mu.Unlock()
}

// upstreamLoop relays the server's messages to the client, replacing the
// errors of refusal tokens with refusals and auditing completions.
func (ss *session) upstreamLoop() error {
	for {
		msg, err := ss.up.Receive()
		if err != nil {
			return err
		}
		boundary := true
		switch m := msg.(type) {
		case *pgproto3.DataRow, *pgproto3.CopyData:
			boundary = false
		case *pgproto3.CommandComplete:
			ss.complete(string(m.CommandTag), "")
		case *pgproto3.EmptyQueryResponse:
			ss.complete("", "")
		case *pgproto3.PortalSuspended:
			ss.complete("", "suspended")
		case *pgproto3.ErrorResponse:
			if r, ok := ss.refusal(m.Message); ok {
				msg = refusalError(r)
				break
			}
			ss.complete("", "error "+m.Code)
		case *pgproto3.ReadyForQuery:
			ss.ready()
		}
		ss.client.Send(msg)
		if err := ss.client.Flush(); err != nil {
			return err
		}
		if boundary {
			if err := ss.out.Flush(); err != nil {
				return err
			}
		}
	}
}

func refusalError(reason string) *pgproto3.ErrorResponse {
	return &pgproto3.ErrorResponse{
		Severity: "ERROR", SeverityUnlocalized: "ERROR", Code: "25006",
		Message: "refused by the read-only proxy: " + reason,
		Hint:    "this database is read-only through devenv; only reads, SHOW, safe SET and read-only transactions reach it",
	}
}

// refusal finds the refusal whose token the server quoted in msg.
func (ss *session) refusal(msg string) (string, bool) {
	i := strings.Index(msg, refusalToken)
	if i < 0 {
		return "", false
	}
	tok := msg[i:]
	if j := strings.IndexByte(tok, '"'); j >= 0 {
		tok = tok[:j]
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	r, ok := ss.refusals[tok]
	delete(ss.refusals, tok)
	return r, ok
}
