// Package httpproxy is the read-only HTTP proxy of production access.
//
// What reaches the upstream: GET, HEAD and OPTIONS requests without a body
// (no Content-Length above 0, no Transfer-Encoding), without a protocol
// upgrade, without a header or query parameter whose name contains
// "method" once case and punctuation are dropped (X-HTTP-Method-Override,
// X_HTTP_METHOD_OVERRIDE, X-Original-Method, _method, .method, _method[]),
// and with a path that holds no dot segment, backslash or control
// character however many times it is percent-decoded. A target may narrow
// this: paths: is an allowlist of path prefixes (default-deny when set)
// and graphql: refuses GraphQL mutations, subscriptions and persisted
// queries in the query string. Everything else is answered by the gateway
// itself with a plain-text reason: 403 when the policy refuses it, 400
// when the client's body is malformed; a refused request that carried a
// body also ends its connection.
//
// The upstream receives the request line, the client headers on an
// allowlist (Accept and its kin, Cache-Control, Pragma, the conditional
// and range headers, User-Agent, and the target's allow_headers) and nothing
// else: the gateway's credentials in place of the client's, so that a
// developer never holds the upstream's secret, and X-Forwarded-For set to
// the client's tunnel address. The allowlist is default-deny on purpose:
// identity headers have no common spelling (X-Forwarded-User,
// X-Remote-User, Impersonate-User, X-Webauth-User, X-Scope-OrgID, an
// upstream's own API key header, their underscore variants), and a deny
// list would miss the one an upstream nobody listed trusts. Responses
// stream: every chunk is flushed as it arrives.
//
// What this layer trusts, and why:
//
//   - Go's net/http server parses the client's request. It answers
//     ambiguous framing itself (two Content-Lengths, unknown transfer
//     codings, invalid header names, bad escapes in the path) with a 4xx or
//     501 before the filter runs, and any body that remains is refused, so
//     no byte after the headers is ever written upstream.
//   - Go's http.Transport frames the upstream request from the Request,
//     not from client headers (which the allowlist has removed anyway), on
//     connections it pools: with no body, an upstream that would run a
//     body as the next request has nothing to run.
//   - The gateway says who the client is: proxy.Session.Client, the
//     WireGuard peer's tunnel address, is the only X-Forwarded-For.
//   - The administrator writes gateway.yaml: paths, graphql and
//     allow_headers are checked for mistakes (dot segments, identity and
//     credential headers), not distrusted.
//
// What it cannot know, and what catches it when it is wrong: the filter
// reads the syntax of a request, not what the upstream does with it. A GET
// that writes (a /logout, an /api/run?job=..., a framework that takes an
// override from a place not covered here, a GraphQL server that runs
// something read here as a query, a path normalization no rule here
// foresaw) gets through. The next layer is the upstream's own
// authorization: the injected credentials should belong to a read-only
// identity (a viewer role, a read-only token), which refuses such a request
// whatever this layer let through. And every request, allowed or refused,
// is recorded with its grant (method, path as decoded and as sent, query,
// status, bytes, reason), so what got through can be found and the grant
// revoked.
//
// Rules that refuse legitimate requests, knowingly: CORS preflights
// (Access-Control-Request-Method names a method), query parameters such as
// paymentMethod, OPTIONS *, and any request body.
package httpproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/devenv-dev/devenv/access/proxy"
)

// ErrClosed is returned by Serve after Close.
var ErrClosed = errors.New("http proxy closed")

// Options configure a Proxy.
type Options struct {
	// Upstream is the target's base URL (http or https).
	Upstream *url.URL
	// Header is set on every request sent upstream: the injected
	// credentials. Clients never see it.
	Header http.Header
	// Transport reaches the upstream; nil is a dedicated transport that
	// ignores proxy environment variables.
	Transport http.RoundTripper
	// Logger receives the proxy's own errors; nil discards them.
	Logger *slog.Logger
	// Paths, when set, are the only path prefixes that reach the upstream
	// (see Rules.Paths).
	Paths []string
	// GraphQL refuses GraphQL mutations, subscriptions and persisted
	// queries (see Rules.GraphQL).
	GraphQL bool
	// AllowHeaders are client headers passed to the upstream besides
	// the standard ones, for an upstream that needs one (X-Scope-OrgID,
	// Accept-Version). Credentials, framing, forwarding and identity
	// headers, and any naming a method, cannot be allowed.
	AllowHeaders []string
}

// Proxy is a proxy.Handler for one HTTP target. It serves the
// connections handed to Serve with one HTTP server.
type Proxy struct {
	upstream *url.URL
	header   http.Header
	rules    Rules
	pass     []string // the client headers the upstream receives
	rp       *httputil.ReverseProxy
	srv      *http.Server
	ln       *connListener
	log      *slog.Logger
}

var _ proxy.Handler = (*Proxy)(nil)

// New starts a proxy to o.Upstream.
func New(o Options) (*Proxy, error) {
	if o.Upstream == nil || (o.Upstream.Scheme != "http" && o.Upstream.Scheme != "https") || o.Upstream.Host == "" {
		return nil, fmt.Errorf("http proxy: upstream %v: want an http:// or https:// URL", o.Upstream)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Transport == nil {
		o.Transport = newTransport()
	}
	for _, pre := range o.Paths {
		if err := CheckPathPrefix(pre); err != nil {
			return nil, fmt.Errorf("http proxy: %w", err)
		}
	}
	pass := append([]string(nil), passedHeaders...)
	for _, h := range o.AllowHeaders {
		if err := CheckHeaderName(h); err != nil {
			return nil, fmt.Errorf("http proxy: %w", err)
		}
		if _, ok := o.Header[http.CanonicalHeaderKey(h)]; ok {
			return nil, fmt.Errorf("http proxy: header %s carries the injected credentials; it cannot be allowed", h)
		}
		pass = append(pass, http.CanonicalHeaderKey(h))
	}
	p := &Proxy{upstream: o.Upstream, header: o.Header.Clone(), ln: newConnListener(), log: o.Logger,
		rules: Rules{Paths: append([]string(nil), o.Paths...), GraphQL: o.GraphQL}, pass: pass}
	p.rp = &httputil.ReverseProxy{
		Rewrite:       p.rewrite,
		Transport:     o.Transport,
		FlushInterval: -1, // flush every write: responses stream
		ErrorHandler:  p.upstreamError,
		ErrorLog:      slog.NewLogLogger(o.Logger.Handler(), slog.LevelDebug), // a cut grant ends copies with errors
	}
	p.srv = &http.Server{
		Handler:           p,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       10 * time.Minute,
		ConnState:         connState,
		ConnContext:       connContext,
		ErrorLog:          slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn),
	}
	go func() { _ = p.srv.Serve(p.ln) }()
	return p, nil
}

func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConnsPerHost:   256, // one Proxy serves every grant of a target: keep their connections
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true, // pass the upstream's encoding through untouched
		ExpectContinueTimeout: time.Second,
	}
}

// Close stops serving and closes every connection.
func (p *Proxy) Close() error {
	p.ln.Close()
	return p.srv.Close()
}

// Serve serves one client connection until it ends or ctx is done.
func (p *Proxy) Serve(ctx context.Context, conn net.Conn, s proxy.Session) error {
	sc := &sessionConn{Conn: conn, ctx: ctx, session: s, done: make(chan struct{})}
	if !p.ln.push(sc) {
		conn.Close()
		return ErrClosed
	}
	select {
	case <-sc.done:
		return nil
	case <-ctx.Done():
		conn.Close()
		// The server is done with the connection once its request has
		// been recorded: the gateway's disconnect record comes after it.
		select {
		case <-sc.done:
		case <-time.After(recordWait):
		}
		return context.Cause(ctx)
	}
}

// recordWait bounds how long Serve waits, after the grant's end, for the
// request being served to be recorded.
const recordWait = 5 * time.Second

// ServeHTTP filters, then proxies, one request and records it, however
// it ends: a response cut by the grant's end, the client's departure or a
// broken upstream (which ReverseProxy ends with a panic) is recorded too,
// with its outcome.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sc, _ := r.Context().Value(sessionKey{}).(*sessionConn)
	cw := &countingWriter{ResponseWriter: w}
	reason := p.rules.Refusal(r)
	if sc != nil {
		defer func() {
			v := recover()
			op := operation(r, cw, reason)
			if o := outcome(sc.ctx, r, cw, v); o != "" {
				op.Detail["outcome"] = o
			}
			sc.session.Record(op)
			if v != nil {
				panic(v) // net/http's way to abort the response: pass it on
			}
		}()
	}
	switch {
	case reason == "":
		p.rp.ServeHTTP(cw, r)
	case hasBody(r):
		// The connection ends after the answer: what the client sent
		// after its headers is never taken as another request.
		cw.Header().Set("Connection", "close")
		status := http.StatusForbidden
		if malformedBody(cw, r) {
			status, reason = http.StatusBadRequest, "the request body is malformed (a bad chunk); the request is refused"
		}
		refuse(cw, status, reason)
	default:
		refuse(cw, http.StatusForbidden, reason)
	}
}

// outcome says how a request ended other than by its complete answer:
// the grant's end (the cause of grant, the session's context), the
// client's departure, an upstream that failed, or a response aborted
// midway (panicked, the value ReverseProxy panics with). "" for a complete
// answer. The grant is asked first: its end closes the client's
// connection, which the server may see first as the client's departure.
func outcome(grant context.Context, r *http.Request, w *countingWriter, panicked any) string {
	switch {
	case grant.Err() != nil:
		return "cut: " + context.Cause(grant).Error()
	case r.Context().Err() != nil:
		return "cut: the client went away"
	case w.upstreamErr != nil:
		return "the upstream failed: " + w.upstreamErr.Error()
	case panicked != nil:
		return fmt.Sprintf("cut: the response broke off (%v)", panicked)
	}
	return ""
}

func refuse(w *countingWriter, status int, reason string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintf(w, "devenv gateway: %s\n", reason)
}

// Bounds on reading a refused body to tell a malformed one (the client's
// error, 400) from a well-formed one (refused by policy, 403).
const (
	maxDrain     = 64 << 10
	drainTimeout = 2 * time.Second
)

// malformedBody reads and discards up to maxDrain bytes of a refused
// body and reports whether its framing is broken. A client that waits
// for 100 Continue, or sends too slowly, has not sent a malformed body.
func malformedBody(w http.ResponseWriter, r *http.Request) bool {
	if hasToken(r.Header.Values("Expect"), "100-continue") {
		return false // reading would invite the body
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(drainTimeout))
	_, err := io.Copy(io.Discard, io.LimitReader(r.Body, maxDrain))
	return err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
}

func operation(r *http.Request, w *countingWriter, reason string) proxy.Operation {
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	d := map[string]string{
		"method": safeText(r.Method), "path": r.URL.Path,
		"status": strconv.Itoa(status), "bytes": strconv.FormatInt(w.bytes, 10),
	}
	if ep := r.URL.EscapedPath(); ep != r.URL.Path {
		d["raw_path"] = truncate(ep, 1024)
	}
	if q := r.URL.RawQuery; q != "" {
		d["query"] = truncate(q, 1024)
	}
	if reason != "" {
		d["reason"] = reason
		return proxy.Operation{Verdict: proxy.Refused, Detail: d}
	}
	return proxy.Operation{Verdict: proxy.Allowed, Detail: d}
}

// passedHeaders are the client headers every upstream receives: content
// negotiation, conditional and range requests, caching and the user
// agent. No other client header is passed (unless a target allows it):
// an allowlist cannot miss the identity header of an upstream nobody
// listed (X-Forwarded-User, Impersonate-User, X-Remote-User, X-Real-IP,
// X-Scope-OrgID, an upstream's own API key header), where a deny list
// would.
var passedHeaders = []string{
	"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language",
	"Cache-Control", "Pragma",
	"If-Match", "If-Modified-Since", "If-None-Match", "If-Range", "If-Unmodified-Since", "Range",
	"User-Agent",
}

// neverPassed are headers a target cannot allow: credentials, framing and
// hop-by-hop headers, and those that say who or where the client is.
var neverPassed = map[string]bool{
	"Authorization": true, "Proxy-Authorization": true, "Cookie": true,
	"Host": true, "Connection": true, "Upgrade": true, "Transfer-Encoding": true, "Content-Length": true,
	"Te": true, "Trailer": true, "Keep-Alive": true, "Proxy-Connection": true, "Expect": true,
	"Forwarded": true, "X-Forwarded-For": true, "X-Forwarded-Host": true, "X-Forwarded-Proto": true,
	"X-Forwarded-User": true, "X-Forwarded-Email": true, "X-Forwarded-Groups": true,
	"X-Real-Ip": true, "X-Remote-User": true, "X-Remote-Group": true, "Remote-User": true,
	"X-Original-Url": true, "X-Rewrite-Url": true, "Via": true,
}

// CheckHeaderName says why a header cannot be allowed for a target, or nil.
func CheckHeaderName(name string) error {
	k := http.CanonicalHeaderKey(name)
	switch {
	case name == "" || strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r) }):
		return fmt.Errorf("header %q: not a header name", name)
	case hasMethod(k):
		return fmt.Errorf("header %s names a method; such headers are always refused", k)
	case neverPassed[k] || strings.HasPrefix(k, "Impersonate-"):
		return fmt.Errorf("header %s carries credentials, framing or the client's identity; it cannot be allowed", k)
	}
	return nil
}

// rewrite sends the request to the upstream with the allowed client
// headers only, the gateway's credentials, and X-Forwarded-For set to the
// client's tunnel address.
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	pr.SetURL(p.upstream)
	h := make(http.Header, len(p.pass)+len(p.header)+1)
	for _, k := range p.pass {
		// Out, not In: ReverseProxy has removed the headers the client's
		// Connection header named, which are meant for this hop only.
		if vs, ok := pr.Out.Header[k]; ok {
			h[k] = append([]string(nil), vs...)
		}
	}
	for k, vs := range p.header {
		h[k] = append([]string(nil), vs...)
	}
	if ip := clientIP(pr.In); ip != "" {
		h.Set("X-Forwarded-For", ip)
	}
	pr.Out.Header = h
}

// clientIP is the client's tunnel address, from its session.
func clientIP(r *http.Request) string {
	if sc, ok := r.Context().Value(sessionKey{}).(*sessionConn); ok && sc.session.Client.IsValid() {
		return sc.session.Client.Addr().Unmap().String()
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return ""
}

func (p *Proxy) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	if cw, ok := w.(*countingWriter); ok {
		cw.upstreamErr = err
	}
	if r.Context().Err() != nil {
		return // the client left or the grant ended; nobody to answer
	}
	p.log.Warn("upstream request failed", "upstream", p.upstream.Host, "path", r.URL.Path, "err", err)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusBadGateway)
	fmt.Fprintf(w, "devenv gateway: the upstream did not answer\n")
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// countingWriter remembers the status and counts the body bytes; Unwrap
// lets ReverseProxy flush through it.
type countingWriter struct {
	http.ResponseWriter
	status      int
	bytes       int64
	upstreamErr error // what ReverseProxy's ErrorHandler was told
}

func (w *countingWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *countingWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// sessionConn is a client connection with its grant's context and session.
type sessionConn struct {
	net.Conn
	ctx     context.Context
	session proxy.Session
	once    sync.Once
	done    chan struct{} // closed when the server is done with the connection
}

type sessionKey struct{}

// connContext gives a connection's requests the session, and ends them
// when the grant's context ends.
func connContext(ctx context.Context, c net.Conn) context.Context {
	sc, ok := c.(*sessionConn)
	if !ok {
		return ctx
	}
	ctx, cancel := context.WithCancelCause(context.WithValue(ctx, sessionKey{}, sc))
	stop := context.AfterFunc(sc.ctx, func() { cancel(context.Cause(sc.ctx)) })
	go func() {
		<-sc.done
		stop()
		cancel(nil)
	}()
	return ctx
}

func connState(c net.Conn, st http.ConnState) {
	if sc, ok := c.(*sessionConn); ok && (st == http.StateClosed || st == http.StateHijacked) {
		sc.once.Do(func() { close(sc.done) })
	}
}

// connListener hands the connections given to Serve to the HTTP server.
type connListener struct {
	conns     chan net.Conn
	closed    chan struct{}
	closeOnce sync.Once
}

func newConnListener() *connListener {
	return &connListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *connListener) push(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.closed:
		return false
	}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return nil
}

func (l *connListener) Addr() net.Addr { return &net.TCPAddr{} }
