//go:build cgo

package postgres

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/devenv-dev/devenv/access/proxy"
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
// Both pass messages on as bytes, decoding only those they inspect, and
// flush only when their input has nothing more buffered.
type session struct {
	p      *Proxy
	s      proxy.Session
	client *pgproto3.Backend // for the greeting
	out    *bufio.Writer     // to the client; owned by the upstream loop after the greeting
	in     *wire             // from the client; owned by the client loop
	upIn   *wire             // from upstream; owned by the upstream loop
	upConn net.Conn
	key    upstreamKey

	upMu  sync.Mutex    // serializes writes upstream: the client loop and the cut
	upOut *bufio.Writer // to upstream; guarded by upMu

	// Owned by the client loop.
	prepared map[string]bool   // names of prepared statements known to be reads
	stmts    map[string]string // extended protocol: statement name → normalized text
	portals  map[string]string // portal name → normalized statement text

	mu sync.Mutex
	// refusals maps a refusal token sent upstream to its reason; guarded by mu.
	refusals map[string]string
	// pending are the forwarded statements awaiting completion, with a
	// marker (sync) per Query or Sync; guarded by mu.
	pending []pendingOp
}

type pendingOp struct {
	sync  bool   // a Query or Sync: ends at ReadyForQuery
	norm  string // the statement, normalized
	start time.Time
}

// newSession relays between the client (conn, read through cio and
// written through out) and the upstream session hj.
func newSession(p *Proxy, s proxy.Session, conn net.Conn, cio io.Reader, out *bufio.Writer, hj *pgconn.HijackedConn) *session {
	uio := socketIO(hj.Conn)
	return &session{
		p: p, s: s, client: pgproto3.NewBackend(conn, out), out: out, in: newWire(cio),
		upIn: newWire(uio), upConn: hj.Conn, upOut: bufio.NewWriterSize(uio, 32<<10),
		key:      upstreamKey{pid: hj.PID, secret: hj.SecretKey},
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
	if err := ss.client.Flush(); err != nil {
		return err
	}
	return ss.out.Flush()
}

// run relays until either side ends or ctx is done; then it cancels the
// in-flight query, terminates the upstream session and closes both sides.
// The session's audit records are all handed on when it returns.
func (ss *session) run(ctx context.Context, conn net.Conn) error {
	defer ss.p.audit.drain()
	errc := make(chan error, 2)
	clientGone := make(chan error, 1)
	upDone := make(chan struct{})
	go func() { clientGone <- ss.clientLoop() }()
	go func() { defer close(upDone); errc <- ss.upstreamLoop() }()
	var err error
	var ended string // how statements still running ended, for their records
	select {
	case err = <-clientGone:
		ended = "cut: the client went away"
		if err != nil && ss.inFlight() {
			// The client vanished mid-query; the server would run it to
			// the end, since it does not notice a closed connection.
			ss.cancel("cancelling the query of a vanished client")
		}
	case err = <-errc:
		ended = "the session ended"
		if err != nil {
			ended = "cut: " + err.Error()
		}
	case <-ctx.Done():
		ended = "cut: " + context.Cause(ctx).Error()
		err = fmt.Errorf("%w: %w", errCut, context.Cause(ctx))
		ss.cut(upDone)
	}
	ss.upConn.Close()
	var limit *limitError
	if errors.As(err, &limit) {
		<-upDone // the upstream loop no longer writes to the client
		ss.tellLimit(limit)
	}
	conn.Close()
	<-upDone
	ss.abandon(ended)
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// cut cancels whatever runs upstream and says goodbye, giving the upstream
// loop a moment to relay the cancellation's error to the client.
func (ss *session) cut(upDone <-chan struct{}) {
	ss.cancel("cancelling at the grant's end")
	ss.upMu.Lock()
	writeMsg(ss.upOut, 'X', nil)
	ss.upOut.Flush()
	ss.upMu.Unlock()
	select {
	case <-upDone:
	case <-time.After(2 * time.Second):
	}
}

// cancel sends a CancelRequest for the upstream session; doing says when,
// for the log.
func (ss *session) cancel(doing string) {
	if err := ss.p.cancelUpstream(ss.key); err != nil {
		ss.p.log.Warn("postgres proxy: "+doing, "upstream", ss.p.opts.Upstream, "err", err)
	}
}

// inFlight reports whether statements were sent upstream and not yet
// answered to the end.
func (ss *session) inFlight() bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.pending) > 0
}

// sendUp writes one message upstream; flushUp sends what was written.
func (ss *session) sendUp(typ byte, body []byte) error {
	ss.upMu.Lock()
	defer ss.upMu.Unlock()
	return writeMsg(ss.upOut, typ, body)
}

func (ss *session) flushUp() error {
	ss.upMu.Lock()
	defer ss.upMu.Unlock()
	return ss.upOut.Flush()
}

// clientLoop reads the client's messages, checks them and sends them (or
// their refusal tokens) upstream.
func (ss *session) clientLoop() error {
	for {
		if ss.in.idle() {
			if err := ss.flushUp(); err != nil {
				return err
			}
		}
		typ, n, err := ss.in.header()
		if err != nil {
			return err
		}
		if err := ss.checkLength(typ, n); err != nil {
			return err
		}
		body, err := ss.in.read(n)
		if err != nil {
			return err
		}
		if done, err := ss.clientMessage(typ, body); done || err != nil {
			return err
		}
		if err := ss.checkKept(); err != nil {
			return err
		}
	}
}

// clientMessage handles one message from the client; done says the client
// said goodbye.
func (ss *session) clientMessage(typ byte, body []byte) (done bool, err error) {
	switch typ {
	case 'Q': // Query
		sql, err := cstring(body)
		if err != nil {
			return false, err
		}
		return false, ss.query(sql, body)
	case 'P': // Parse
		return false, ss.parse(body)
	case 'B': // Bind
		names, err := cstrings(body, 2)
		if err != nil {
			return false, err
		}
		ss.portals[names[0]] = ss.stmts[names[1]]
	case 'E': // Execute
		portal, err := cstring(body)
		if err != nil {
			return false, err
		}
		ss.push(pendingOp{norm: ss.portals[portal], start: time.Now()})
	case 'S': // Sync
		ss.push(pendingOp{sync: true})
	case 'D', 'C', 'H': // Describe, Close, Flush
	case 'F': // FunctionCall
		if len(body) < 4 {
			return false, errors.New("a FunctionCall message is too short")
		}
		oid := binary.BigEndian.Uint32(body)
		what := fmt.Sprintf("FunctionCall of function OID %d", oid)
		return false, ss.refuse(normalize(what), "the FunctionCall protocol message is refused: it can call any function")
	case 'X': // Terminate
		if err := ss.sendUp(typ, body); err != nil {
			return true, err
		}
		return true, ss.flushUp()
	case 'd', 'c', 'f': // CopyData, CopyDone, CopyFail
		// COPY FROM never reaches the server, so there is no copy to feed.
		return false, nil
	default:
		return false, fmt.Errorf("unexpected client message %q", typ)
	}
	return false, ss.sendUp(typ, body)
}

// query checks a simple-protocol query and forwards it (body, as the
// client sent it) or its refusal.
func (ss *session) query(sql string, body []byte) error {
	v := ss.p.checker().check(sql, ss.prepared)
	if v.refusal != "" {
		return ss.refuse(v.norm, v.refusal)
	}
	ss.applyNames(v)
	now := time.Now()
	ss.mu.Lock()
	for _, norm := range v.norms {
		ss.pending = append(ss.pending, pendingOp{norm: norm, start: now})
	}
	ss.pending = append(ss.pending, pendingOp{sync: true})
	ss.mu.Unlock()
	return ss.sendUp('Q', body)
}

// parse checks a Parse message and forwards it or a Parse of a refusal
// token under the same name.
func (ss *session) parse(body []byte) error {
	names, err := cstrings(body, 2)
	if err != nil {
		return err
	}
	name, sql := names[0], names[1]
	ck := ss.p.checker()
	v := ck.check(sql, ss.prepared)
	if v.refusal == "" {
		if r := ck.policy.paramTypesRefusal(paramOIDs(body, len(name)+len(sql)+2)); r != "" {
			v = &verdict{refusal: r, norm: strings.Join(v.norms, "; ")}
		}
	}
	if v.refusal != "" {
		delete(ss.stmts, name)
		tok := ss.token(v.norm, v.refusal)
		msg, err := (&pgproto3.Parse{Name: name, Query: tok}).Encode(nil)
		if err != nil {
			return err
		}
		return ss.sendUp(msg[0], msg[5:])
	}
	ss.applyNames(v)
	ss.stmts[name] = strings.Join(v.norms, "; ")
	if name != "" {
		ss.prepared[name] = true
	}
	return ss.sendUp('P', body)
}

// paramOIDs reads the parameter types of a Parse message's body, whose
// two strings take the first off bytes; a malformed list reads as far as
// it goes (the server refuses the message).
func paramOIDs(body []byte, off int) []uint32 {
	if len(body) < off+2 {
		return nil
	}
	n := int(binary.BigEndian.Uint16(body[off:]))
	body = body[off+2:]
	out := make([]uint32, 0, n)
	for i := 0; i < n && len(body) >= 4; i++ {
		out = append(out, binary.BigEndian.Uint32(body))
		body = body[4:]
	}
	return out
}

// applyNames records what an allowed text's PREPARE, DEALLOCATE and
// DISCARD ALL statements do to the session's prepared-statement names.
// A name stays known only if it was prepared through the proxy from a
// checked read; a PREPARE the server then fails leaves a name that
// EXECUTE finds missing upstream.
func (ss *session) applyNames(v *verdict) {
	for _, op := range v.names {
		switch {
		case op.add:
			ss.prepared[op.name] = true
		case op.all:
			clear(ss.prepared)
		default:
			delete(ss.prepared, op.name)
		}
	}
}

// refuse answers a simple-protocol message with a refusal, in order; norm
// is what the audit records of it.
func (ss *session) refuse(norm, reason string) error {
	tok := ss.token(norm, reason)
	ss.push(pendingOp{sync: true})
	return ss.sendUp('Q', append([]byte(tok), 0))
}

// token records a refusal and returns the statement to send upstream.
func (ss *session) token(norm, reason string) string {
	var b [8]byte
	rand.Read(b[:])
	tok := refusalToken + hex.EncodeToString(b[:])
	ss.mu.Lock()
	ss.refusals[tok] = reason
	ss.mu.Unlock()
	ss.p.audit.add(auditEntry{record: ss.s.Record, verdict: proxy.Refused, norm: norm, reason: reason})
	return tok
}

func (ss *session) push(op pendingOp) {
	ss.mu.Lock()
	ss.pending = append(ss.pending, op)
	ss.mu.Unlock()
}

// upstreamLoop relays the server's messages to the client, replacing the
// errors of refusal tokens with refusals and auditing completions. Rows
// and everything else it need not read stream through undecoded.
func (ss *session) upstreamLoop() error {
	for {
		if ss.upIn.idle() {
			if err := ss.out.Flush(); err != nil {
				return err
			}
		}
		typ, n, err := ss.upIn.header()
		if err != nil {
			return err
		}
		switch typ {
		case 'C', 'I', 's', 'E', 'Z':
			body, err := ss.upIn.read(n)
			if err != nil {
				return err
			}
			if err := ss.serverMessage(typ, body); err != nil {
				return err
			}
		default:
			var h [5]byte
			h[0] = typ
			binary.BigEndian.PutUint32(h[1:], uint32(n+4))
			ss.out.Write(h[:])
			if err := ss.upIn.copyTo(ss.out, n); err != nil {
				return err
			}
		}
	}
}

// serverMessage audits and relays one message the relay inspects.
func (ss *session) serverMessage(typ byte, body []byte) error {
	switch typ {
	case 'C': // CommandComplete
		tag, err := cstring(body)
		if err != nil {
			return err
		}
		ss.complete(tag, "")
	case 'I': // EmptyQueryResponse
		ss.complete("", "")
	case 's': // PortalSuspended
		ss.complete("", "suspended")
	case 'E': // ErrorResponse
		var e pgproto3.ErrorResponse
		if err := e.Decode(body); err != nil {
			return err
		}
		if r, ok := ss.refusal(e.Message); ok {
			msg, err := refusalError(r).Encode(nil)
			if err != nil {
				return err
			}
			_, err = ss.out.Write(msg)
			return err
		}
		ss.complete("", "error "+e.Code)
	case 'Z': // ReadyForQuery
		ss.ready()
	}
	return writeMsg(ss.out, typ, body)
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
