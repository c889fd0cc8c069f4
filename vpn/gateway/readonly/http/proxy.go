// Package http is the read-only HTTP proxy of production access: only GET,
// HEAD and OPTIONS reach the upstream; other methods, method overrides
// (headers and _method parameters), protocol upgrades and CONNECT are
// refused with a 403 and a plain-text reason. The client's own credentials
// (Authorization, Cookie) are dropped and the gateway's are injected, so a
// developer never holds the upstream's secret. Responses stream: every
// chunk is flushed as it arrives.
package http

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/devenv-dev/devenv/vpn/gateway/readonly"
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
}

// Proxy is a readonly.Handler for one HTTP target. It serves the
// connections handed to Serve with one HTTP server.
type Proxy struct {
	upstream *url.URL
	header   http.Header
	rp       *httputil.ReverseProxy
	srv      *http.Server
	ln       *connListener
	log      *slog.Logger
}

var _ readonly.Handler = (*Proxy)(nil)

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
	p := &Proxy{upstream: o.Upstream, header: o.Header.Clone(), ln: newConnListener(), log: o.Logger}
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
func (p *Proxy) Serve(ctx context.Context, conn net.Conn, s readonly.Session) error {
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
		return context.Cause(ctx)
	}
}

// ServeHTTP filters, then proxies, one request and records it.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sc, _ := r.Context().Value(sessionKey{}).(*sessionConn)
	cw := &countingWriter{ResponseWriter: w}
	reason := Refusal(r)
	if reason == "" {
		reason = CheckBody(r)
	}
	if reason != "" {
		refuse(cw, reason)
	} else {
		p.rp.ServeHTTP(cw, r)
	}
	if sc != nil {
		sc.session.Record(operation(r, cw, reason))
	}
}

func refuse(w *countingWriter, reason string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprintf(w, "devenv gateway: %s\n", reason)
}

func operation(r *http.Request, w *countingWriter, reason string) readonly.Operation {
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	d := map[string]string{
		"method": safeText(r.Method), "path": r.URL.Path,
		"status": strconv.Itoa(status), "bytes": strconv.FormatInt(w.bytes, 10),
	}
	if q := r.URL.RawQuery; q != "" {
		d["query"] = truncate(q, 1024)
	}
	if reason != "" {
		d["reason"] = reason
		return readonly.Operation{Verdict: readonly.Refused, Detail: d}
	}
	return readonly.Operation{Verdict: readonly.Allowed, Detail: d}
}

// rewrite sends the request to the upstream with the gateway's credentials
// in place of the client's. ReverseProxy has already dropped hop-by-hop and
// X-Forwarded headers.
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	pr.SetURL(p.upstream)
	h := pr.Out.Header
	for _, k := range []string{"Authorization", "Proxy-Authorization", "Cookie"} {
		h.Del(k)
	}
	for k, vs := range p.header {
		h[k] = append([]string(nil), vs...)
	}
}

func (p *Proxy) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
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
	status int
	bytes  int64
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
	session readonly.Session
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
