//go:build cgo

package postgres

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/devenv-dev/devenv/access/proxy"
)

// ErrClosed is returned by Serve after Close.
var ErrClosed = errors.New("postgres proxy closed")

// forwardedParams are the startup parameters a client may pass upstream
// (each is on the settable list); others — notably options, which can
// carry -c settings — are dropped, and pinnedParams are set over them.
var forwardedParams = []string{"application_name", "DateStyle", "TimeZone",
	"extra_float_digits", "IntervalStyle", "search_path"}

// pinCatalogPathSQL makes pg_catalog the only schema the catalog-facts
// query resolves operators and functions in, whatever search_path the
// client asked for at startup: the statements of one simple query are one
// transaction, and the setting is local to it.
const pinCatalogPathSQL = `select pg_catalog.set_config('search_path', 'pg_catalog', true)`

// userFuncsSQL lists every function outside pg_catalog — user-defined,
// from extensions or information_schema — and every function made in
// pg_catalog after initdb (an OID from 16384 on: an extension installed
// there), by schema and name, and whether pg_catalog has a function of
// the same name.
const userFuncsSQL = `select n.nspname, p.proname,
exists(select from pg_proc b where b.pronamespace = 'pg_catalog'::regnamespace and b.proname = p.proname)
from pg_proc p join pg_namespace n on n.oid = p.pronamespace
where n.nspname <> 'pg_catalog' or p.oid >= 16384`

// ceilingsSQL reads the session defaults, in milliseconds, of the timeouts
// a client may only lower. It is sent with userFuncsSQL in one query.
const ceilingsSQL = `select name, setting from pg_catalog.pg_settings
where name in ('statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout', 'idle_session_timeout')`

// Proxy is a proxy.Handler for one PostgreSQL target.
type Proxy struct {
	opts Options
	host string
	port uint16
	log  *slog.Logger

	mu sync.Mutex
	// keys maps the backend key a client was given to its upstream
	// session's, for CancelRequests; guarded by mu.
	keys   map[string]upstreamKey
	closed bool // guarded by mu

	// judge checks the statements of all sessions, with the catalog facts
	// the latest session learned; nil before the first.
	judge atomic.Pointer[checker]
	audit auditQueue // the sessions' records on their way out
}

// upstreamKey is what a CancelRequest upstream needs.
type upstreamKey struct {
	pid    uint32
	secret []byte
}

var _ proxy.Handler = (*Proxy)(nil)

// New makes a proxy to o.Upstream. It connects nothing until Serve.
func New(o Options) (*Proxy, error) {
	host, port, err := net.SplitHostPort(o.Upstream)
	if err != nil {
		return nil, fmt.Errorf("postgres proxy: upstream %q: want host:port: %w", o.Upstream, err)
	}
	pn, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("postgres proxy: upstream %q: bad port: %w", o.Upstream, err)
	}
	if o.User == "" {
		return nil, fmt.Errorf("postgres proxy: upstream %q: no user to log in as", o.Upstream)
	}
	for _, f := range o.AllowFunctions {
		schema, name, ok := strings.Cut(f, ".")
		switch {
		case !ok || schema == "" || name == "" || strings.Contains(name, "."):
			return nil, fmt.Errorf("postgres proxy: upstream %q: allowed function %q: want schema.name", o.Upstream, f)
		case schema == "pg_catalog":
			return nil, fmt.Errorf("postgres proxy: upstream %q: allowed function %q: built-in functions are allowed by the proxy's reviewed list only", o.Upstream, f)
		case refusedFuncs[name] != "":
			return nil, fmt.Errorf("postgres proxy: upstream %q: allowed function %q is refused whatever the configuration: %s", o.Upstream, f, refusedFuncs[name])
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Proxy{opts: o, host: host, port: uint16(pn), log: o.Logger, keys: map[string]upstreamKey{}}, nil
}

// Close makes later Serve calls fail. Sessions being served end with their
// grant's context or their connections.
func (p *Proxy) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	return nil
}

// Serve speaks the PostgreSQL protocol to conn until the client or the
// upstream ends the session or ctx is done.
func (p *Proxy) Serve(ctx context.Context, conn net.Conn, s proxy.Session) error {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return ErrClosed
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	startup, err := p.receiveStartup(conn)
	stop()
	if err != nil || startup == nil {
		return err
	}
	cio := socketIO(conn)
	out := bufio.NewWriterSize(cio, 32<<10)
	client := pgproto3.NewBackend(conn, out)
	if startup.Parameters["replication"] != "" {
		return p.fatal(client, out, "08004", "replication connections are refused by the read-only proxy")
	}
	if enc, ok := startup.Parameters["client_encoding"]; ok && !utf8Name(enc) {
		return p.fatal(client, out, "08004", fmt.Sprintf("client_encoding %q is refused by the read-only proxy: sessions use UTF8, "+
			"so that the server reads every query as the proxy checked it (set PGCLIENTENCODING=UTF8 or client_encoding=UTF8)", enc))
	}
	pgc, facts, err := p.connect(ctx, startup.Parameters)
	if err != nil {
		p.fatal(client, out, "08006", fmt.Sprintf("the read-only proxy cannot reach the database: %v", err))
		return err
	}
	if err := p.checkLogin(ctx, pgc); err != nil {
		pgc.Close(context.WithoutCancel(ctx))
		p.fatal(client, out, "08004", "the read-only proxy refuses this session: "+err.Error())
		return err
	}
	p.learn(facts)
	hj, err := hijack(ctx, pgc)
	if err != nil {
		return err
	}
	sess := newSession(p, s, conn, cio, out, hj)
	clientKey := p.register(upstreamKey{pid: hj.PID, secret: hj.SecretKey})
	defer p.unregister(clientKey)
	if err := sess.greet(clientKey, hj); err != nil {
		hj.Conn.Close()
		return fmt.Errorf("greeting the client: %w", err)
	}
	return sess.run(ctx, conn)
}

// hijack takes the upstream connection over from pgconn, with nothing
// left in pgconn's read buffer: the relay reads the connection itself.
func hijack(ctx context.Context, pgc *pgconn.PgConn) (*pgconn.HijackedConn, error) {
	if err := pgc.SyncConn(ctx); err != nil {
		pgc.Close(ctx)
		return nil, fmt.Errorf("taking over the upstream connection: %w", err)
	}
	hj, err := pgc.Hijack()
	if err != nil {
		pgc.Close(ctx)
		return nil, fmt.Errorf("taking over the upstream connection: %w", err)
	}
	return hj, nil
}

// learn makes the catalog facts a session just read (a Policy) the ones
// every session's statements are judged by. Verdicts cached under other
// facts are dropped with their checker.
func (p *Proxy) learn(facts *Policy) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.judge.Load(); c != nil && c.sameFacts(facts) {
		return
	}
	p.judge.Store(newChecker(facts))
}

// checker is the current checker; non-nil once a session has connected.
func (p *Proxy) checker() *checker { return p.judge.Load() }

// receiveStartup reads the client's startup packet, declining SSL and GSS
// encryption (the tunnel is already encrypted). A CancelRequest is
// forwarded upstream and yields a nil message.
func (p *Proxy) receiveStartup(conn net.Conn) (*pgproto3.StartupMessage, error) {
	for {
		msg, err := readStartup(conn)
		if err != nil {
			return nil, fmt.Errorf("reading the client's startup message: %w", err)
		}
		switch m := msg.(type) {
		case *pgproto3.SSLRequest, *pgproto3.GSSEncRequest:
			if _, err := conn.Write([]byte{'N'}); err != nil {
				return nil, fmt.Errorf("declining encryption: %w", err)
			}
		case *pgproto3.CancelRequest:
			p.cancelClient(m)
			return nil, nil
		case *pgproto3.StartupMessage:
			return m, nil
		}
	}
}

// Startup-phase request codes, in place of a protocol version.
const (
	cancelRequestCode = 80877102
	sslRequestCode    = 80877103
	gssEncRequestCode = 80877104
	maxStartupPacket  = 10000 // PostgreSQL's MAX_STARTUP_PACKET_LENGTH
)

// readStartup reads one startup-phase message, exactly its length and no
// further: whatever the client sent after it in the same packet — a
// pipelining client's first Query — stays unread on conn for the relay.
func readStartup(conn net.Conn) (pgproto3.FrontendMessage, error) {
	var h [4]byte
	if _, err := io.ReadFull(conn, h[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(h[:])
	if n < 8 || n > maxStartupPacket {
		return nil, fmt.Errorf("invalid length of startup packet: %d", n)
	}
	body := make([]byte, n-4)
	if _, err := io.ReadFull(conn, body); err != nil {
		return nil, err
	}
	var msg interface {
		pgproto3.FrontendMessage
		Decode([]byte) error
	}
	switch code := binary.BigEndian.Uint32(body); code {
	case sslRequestCode:
		msg = &pgproto3.SSLRequest{}
	case gssEncRequestCode:
		msg = &pgproto3.GSSEncRequest{}
	case cancelRequestCode:
		msg = &pgproto3.CancelRequest{}
	case pgproto3.ProtocolVersion30, pgproto3.ProtocolVersion32:
		msg = &pgproto3.StartupMessage{}
	default:
		return nil, fmt.Errorf("unknown startup message code %d", code)
	}
	if err := msg.Decode(body); err != nil {
		return nil, err
	}
	return msg, nil
}

// connect logs in upstream with the injected credentials and the pinned
// parameters, and learns the catalog facts statements are judged by: the
// functions outside pg_catalog and the timeouts' defaults.
func (p *Proxy) connect(ctx context.Context, clientParams map[string]string) (*pgconn.PgConn, *Policy, error) {
	cfg, err := pgconn.ParseConfig("sslmode=disable")
	if err != nil {
		return nil, nil, err
	}
	cfg.Host, cfg.Port = p.host, p.port
	cfg.User, cfg.Password, cfg.Database = p.opts.User, p.opts.Password, p.opts.Database
	if p.opts.TLS != nil {
		cfg.TLSConfig = p.opts.TLS.Clone()
		if cfg.TLSConfig.ServerName == "" {
			cfg.TLSConfig.ServerName = p.host // verify the name the upstream was given by
		}
	}
	cfg.Fallbacks = nil
	cfg.ConnectTimeout = 15 * time.Second
	cfg.RuntimeParams = map[string]string{}
	for _, k := range forwardedParams {
		if v, ok := clientParams[k]; ok {
			cfg.RuntimeParams[k] = v
		}
	}
	for k, v := range p.opts.timeoutParams() {
		cfg.RuntimeParams[k] = v
	}
	for k, v := range pinnedParams {
		cfg.RuntimeParams[k] = v
	}
	pgc, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range pinnedParams {
		if got := pgc.ParameterStatus(k); got != "" && got != v {
			pgc.Close(ctx)
			return nil, nil, fmt.Errorf("the upstream session has %s=%s, not %s", k, got, v)
		}
	}
	res, err := pgc.Exec(ctx, pinCatalogPathSQL+";\n"+userFuncsSQL+";\n"+ceilingsSQL+";\n"+traceSQL).ReadAll()
	if err == nil && len(res) != 4 {
		err = fmt.Errorf("%d results to 4 queries", len(res))
	}
	if err != nil {
		pgc.Close(ctx)
		return nil, nil, fmt.Errorf("reading the catalog facts: %w", err)
	}
	res = res[1:]
	facts := p.newPolicy()
	for _, row := range res[0].Rows {
		facts.learnFunc(string(row[0]), string(row[1]), string(row[2]) == "t")
	}
	for _, row := range res[1].Rows {
		ms, err := strconv.ParseInt(string(row[1]), 10, 64)
		if err != nil {
			pgc.Close(ctx)
			return nil, nil, fmt.Errorf("reading the default of %s: %w", row[0], err)
		}
		facts.ceilings[string(row[0])] = ms
	}
	edges := make([]traceEdge, 0, len(res[2].Rows))
	for _, row := range res[2].Rows {
		var kind byte
		if len(row[3]) == 1 {
			kind = row[3][0]
		}
		edges = append(edges, traceEdge{obj: string(row[0]), name: string(row[1]), builtin: string(row[2]) == "t", kind: kind, ref: string(row[4])})
	}
	facts.trace(edges)
	return pgc, facts, nil
}

func (p *Proxy) fatal(client *pgproto3.Backend, out *bufio.Writer, code, msg string) error {
	client.Send(&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: code, Message: msg})
	if err := client.Flush(); err != nil {
		return err
	}
	if err := out.Flush(); err != nil {
		return err
	}
	return errors.New(msg)
}

// register gives a session a fresh client-facing backend key, so clients
// never learn the upstream's.
func (p *Proxy) register(k upstreamKey) pgproto3.BackendKeyData {
	var b [8]byte
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		rand.Read(b[:])
		key := pgproto3.BackendKeyData{ProcessID: binary.BigEndian.Uint32(b[:4]) &^ (1 << 31), SecretKey: append([]byte(nil), b[4:]...)}
		if _, dup := p.keys[keyString(key.ProcessID, key.SecretKey)]; !dup {
			p.keys[keyString(key.ProcessID, key.SecretKey)] = k
			return key
		}
	}
}

func (p *Proxy) unregister(key pgproto3.BackendKeyData) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.keys, keyString(key.ProcessID, key.SecretKey))
}

func keyString(pid uint32, secret []byte) string {
	return strconv.FormatUint(uint64(pid), 10) + ":" + string(secret)
}

func (p *Proxy) cancelClient(m *pgproto3.CancelRequest) {
	p.mu.Lock()
	k, ok := p.keys[keyString(m.ProcessID, m.SecretKey)]
	p.mu.Unlock()
	if !ok {
		return // as PostgreSQL does, say nothing about unknown keys
	}
	if err := p.cancelUpstream(k); err != nil {
		p.log.Warn("postgres proxy: cancelling a query", "upstream", p.opts.Upstream, "err", err)
	}
}

// cancelUpstream sends a CancelRequest for k's session on a new connection.
func (p *Proxy) cancelUpstream(k upstreamKey) error {
	conn, err := net.DialTimeout("tcp", p.opts.Upstream, 5*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	var c net.Conn = conn
	if p.opts.TLS != nil {
		if c, err = startTLS(conn, p.opts.TLS, p.host); err != nil {
			return err
		}
	}
	buf, err := (&pgproto3.CancelRequest{ProcessID: k.pid, SecretKey: k.secret}).Encode(nil)
	if err != nil {
		return err
	}
	if _, err := c.Write(buf); err != nil {
		return err
	}
	io.Copy(io.Discard, c) // the server closes when done
	return nil
}

func startTLS(conn net.Conn, cfg *tls.Config, host string) (net.Conn, error) {
	buf, _ := (&pgproto3.SSLRequest{}).Encode(nil)
	if _, err := conn.Write(buf); err != nil {
		return nil, err
	}
	var resp [1]byte
	if _, err := io.ReadFull(conn, resp[:]); err != nil {
		return nil, err
	}
	if resp[0] != 'S' {
		return nil, errors.New("the server refused TLS")
	}
	cfg = cfg.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	tc := tls.Client(conn, cfg)
	return tc, tc.Handshake()
}
