package httpproxy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/access/proxy"
	"github.com/devenv-dev/devenv/internal/testutil"
)

// recordingUpstream is an attacker's idea of a weak upstream: a raw TCP
// HTTP/1.1 server that keeps connections alive and never reads the body of
// a GET, HEAD or OPTIONS request, so that body bytes are parsed as the next
// request on the connection. It records every request it parsed and every
// byte it received, and is the only judge of what got through.
type recordingUpstream struct {
	ln    net.Listener
	mu    sync.Mutex
	reqs  []seenRequest
	raw   bytes.Buffer
	open  int // connections being served
	conns int // connections accepted
}

// seenRequest is one request as the upstream parsed it.
type seenRequest struct {
	Method, RequestURI, Proto, Host string
	Header                          http.Header
	Malformed                       string // the parse error, when the bytes were no request
}

func newRecordingUpstream(t *testing.T) *recordingUpstream {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &recordingUpstream{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u.mu.Lock()
			u.open++
			u.conns++
			u.mu.Unlock()
			go u.serve(c)
		}
	}()
	return u
}

func (u *recordingUpstream) URL() *url.URL {
	return &url.URL{Scheme: "http", Host: u.ln.Addr().String()}
}

// tee appends what the connection delivers to the raw record.
type tee struct {
	u *recordingUpstream
	c net.Conn
}

func (t tee) Read(b []byte) (int, error) {
	n, err := t.c.Read(b)
	t.u.mu.Lock()
	t.u.raw.Write(b[:n])
	t.u.mu.Unlock()
	return n, err
}

func (u *recordingUpstream) serve(c net.Conn) {
	defer func() {
		c.Close()
		u.mu.Lock()
		u.open--
		u.mu.Unlock()
	}()
	br := bufio.NewReader(tee{u, c})
	for {
		r, err := http.ReadRequest(br)
		if err != nil {
			if err != io.EOF && !isClosed(err) {
				u.mu.Lock()
				u.reqs = append(u.reqs, seenRequest{Malformed: err.Error()})
				u.mu.Unlock()
			}
			return
		}
		u.mu.Lock()
		u.reqs = append(u.reqs, seenRequest{Method: r.Method, RequestURI: r.RequestURI, Proto: r.Proto, Host: r.Host, Header: r.Header.Clone()})
		u.mu.Unlock()
		switch r.Method {
		case "GET", "HEAD", "OPTIONS":
			// The weakness: the body is left on the connection.
		default:
			io.Copy(io.Discard, r.Body)
		}
		resp := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n"
		if r.Method != "HEAD" {
			resp += "ok"
		}
		if _, err := io.WriteString(c, resp); err != nil {
			return
		}
	}
}

func isClosed(err error) bool {
	return strings.Contains(err.Error(), "use of closed network connection") ||
		strings.Contains(err.Error(), "connection reset by peer")
}

// received is everything the upstream got.
func (u *recordingUpstream) received() ([]seenRequest, string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]seenRequest(nil), u.reqs...), u.raw.String()
}

// gateway is a Proxy to a recording upstream, served over loopback TCP
// the way the gateway hands it tunnel connections.
type gateway struct {
	t    *testing.T
	base string
	up   *recordingUpstream
	tr   *http.Transport
	p    *Proxy
	ops  func() []proxy.Operation
	// recorded gets a token after each audit record.
	recorded chan struct{}
}

// waitOps waits until at least n audit records are in, woken by each
// record, and returns them; it fails the test past the test limit.
func (g *gateway) waitOps(n int) []proxy.Operation {
	g.t.Helper()
	timeout := time.After(testutil.Timeout())
	for {
		ops := g.ops()
		if len(ops) >= n {
			return ops
		}
		select {
		case <-g.recorded:
		case <-timeout:
			g.t.Fatalf("waited %s for %d audit records; have %d: %+v", testutil.Timeout(), n, len(ops), ops)
		}
	}
}

// tunnelClient is the session's client tunnel address: the only
// X-Forwarded-For the upstream may see.
var tunnelClient = netip.MustParseAddrPort("100.101.0.7:40123")

func newGateway(t *testing.T, o Options) *gateway {
	t.Helper()
	up := newRecordingUpstream(t)
	tr := newTransport()
	o.Upstream, o.Transport = up.URL(), tr
	if o.Header == nil {
		o.Header = http.Header{"Authorization": {"Bearer s3cret"}}
	}
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(); tr.CloseIdleConnections() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var ops []proxy.Operation
	recorded := make(chan struct{}, 1)
	s := proxy.Session{RequestID: "r1", Target: "web", Client: tunnelClient, Record: func(o proxy.Operation) {
		mu.Lock()
		ops = append(ops, o)
		mu.Unlock()
		select {
		case recorded <- struct{}{}:
		default:
		}
	}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.Serve(t.Context(), c, s)
		}
	}()
	return &gateway{t: t, base: ln.Addr().String(), up: up, tr: tr, p: p, recorded: recorded, ops: func() []proxy.Operation {
		mu.Lock()
		defer mu.Unlock()
		return append([]proxy.Operation(nil), ops...)
	}}
}

// send writes raw bytes to the proxy on a new connection and reads one
// response.
func (g *gateway) send(raw string) (int, string) {
	g.t.Helper()
	c, err := net.Dial("tcp", g.base)
	if err != nil {
		g.t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		g.t.Fatal(err)
	}
	method, _, _ := strings.Cut(raw, " ")
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		g.t.Fatalf("reading the proxy's answer: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// settle waits until the upstream has served and closed every connection
// the proxy opened, so that whatever was left on them (a smuggled request)
// has been parsed and recorded, and returns what the upstream received.
func (g *gateway) settle() ([]seenRequest, string) {
	g.t.Helper()
	testutil.EventuallyNoError(g.t, "the upstream's connections to close", func() error {
		g.tr.CloseIdleConnections()
		g.up.mu.Lock()
		open := g.up.open
		g.up.mu.Unlock()
		if open != 0 {
			return fmt.Errorf("%d still open", open)
		}
		return nil
	})
	return g.up.received()
}

// request builds a raw request with a Host header.
func request(method, target string, lines ...string) string {
	var b strings.Builder
	b.WriteString(method + " " + target + " HTTP/1.1\r\nHost: web\r\n")
	for _, l := range lines {
		b.WriteString(l + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}
