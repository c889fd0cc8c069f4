package httpproxy

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/access/proxy"
	"github.com/devenv-dev/devenv/internal/testutil"
)

// upstream records what reached it.
type upstream struct {
	mu   sync.Mutex
	seen []*http.Request
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.seen = append(u.seen, r.Clone(context.Background()))
	u.mu.Unlock()
	if r.URL.Path == "/stream" {
		for i := range 3 {
			io.WriteString(w, strings.Repeat("x", 10)+"\n")
			w.(http.Flusher).Flush()
			if i < 2 {
				time.Sleep(300 * time.Millisecond) // not an event: a slow stream is the behaviour under test
			}
		}
		return
	}
	w.Header().Set("Set-By", "upstream")
	io.WriteString(w, "hello "+r.Header.Get("Authorization"))
}

func (u *upstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.seen)
}

// served starts a proxy to up behind a loopback listener whose connections
// go through Serve, and returns its base URL and the recorded operations.
func served(t *testing.T, up http.Handler) (string, func() []proxy.Operation) {
	t.Helper()
	us := httptest.NewServer(up)
	t.Cleanup(us.Close)
	u, _ := url.Parse(us.URL)
	p, err := New(Options{Upstream: u, Header: http.Header{"Authorization": {"Bearer s3cret"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var ops []proxy.Operation
	s := proxy.Session{RequestID: "r1", Target: "web", Record: func(o proxy.Operation) {
		mu.Lock()
		ops = append(ops, o)
		mu.Unlock()
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
	return "http://" + ln.Addr().String(), func() []proxy.Operation {
		mu.Lock()
		defer mu.Unlock()
		return append([]proxy.Operation(nil), ops...)
	}
}

func TestFilter(t *testing.T) {
	up := &upstream{}
	base, _ := served(t, up)
	form := "application/x-www-form-urlencoded"
	tests := []struct {
		name, method, path string
		header             http.Header
		body               string
		pass               bool
		reason             string // part of the 403 body
	}{
		{name: "GET", method: "GET", path: "/", pass: true},
		{name: "HEAD", method: "HEAD", path: "/", pass: true},
		{name: "OPTIONS", method: "OPTIONS", path: "/", pass: true},
		{name: "POST", method: "POST", path: "/", reason: "POST is refused"},
		{name: "PUT", method: "PUT", path: "/", reason: "PUT is refused"},
		{name: "PATCH", method: "PATCH", path: "/", reason: "PATCH is refused"},
		{name: "DELETE", method: "DELETE", path: "/", reason: "DELETE is refused"},
		{name: "TRACE", method: "TRACE", path: "/", reason: "TRACE is refused"},
		{name: "custom method", method: "PURGE", path: "/", reason: "PURGE is refused"},
		{name: "lowercase get", method: "get", path: "/", reason: "get is refused"},
		{name: "X-HTTP-Method-Override", method: "GET", path: "/", header: http.Header{"X-Http-Method-Override": {"DELETE"}}, reason: "X-Http-Method-Override header is refused"},
		{name: "X-HTTP-Method", method: "GET", path: "/", header: http.Header{"X-Http-Method": {"PUT"}}, reason: "X-Http-Method header is refused"},
		{name: "X-Method-Override any value", method: "GET", path: "/", header: http.Header{"X-Method-Override": {"GET"}}, reason: "X-Method-Override"},
		{name: "_method in query", method: "GET", path: "/?a=1&_method=DELETE", reason: "query parameter \"_method\""},
		{name: "_METHOD in query", method: "GET", path: "/?_METHOD=put", reason: "query parameter \"_METHOD\""},
		{name: "bad query", method: "GET", path: "/?a=%zz", reason: "cannot be parsed"},
		{name: "_method in form body", method: "GET", path: "/", header: http.Header{"Content-Type": {form}}, body: "a=1&_method=DELETE", reason: "request body is refused on GET"},
		{name: "_method in multipart body", method: "OPTIONS", path: "/",
			header: http.Header{"Content-Type": {"multipart/form-data; boundary=XX"}},
			body:   "--XX\r\nContent-Disposition: form-data; name=\"_method\"\r\n\r\nDELETE\r\n--XX--\r\n", reason: "request body is refused on OPTIONS"},
		{name: "form body, no override", method: "GET", path: "/", header: http.Header{"Content-Type": {form}}, body: "a=1", reason: "request body is refused"},
		{name: "websocket", method: "GET", path: "/ws", header: http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}}, reason: "upgrades"},
		{name: "h2c upgrade", method: "GET", path: "/", header: http.Header{"Connection": {"keep-alive, upgrade"}, "Upgrade": {"h2c"}}, reason: "upgrades"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := up.count()
			status, body := rawRequest(t, base, tt.method, tt.path, tt.header, tt.body)
			if tt.pass {
				if status != 200 || up.count() != before+1 {
					t.Fatalf("status %d, upstream saw %d requests; want 200 and 1", status, up.count()-before)
				}
				return
			}
			if status != 403 || !strings.Contains(body, tt.reason) {
				t.Errorf("got %d %q, want 403 with %q", status, body, tt.reason)
			}
			if up.count() != before {
				t.Errorf("a refused request reached the upstream")
			}
		})
	}
}

// rawRequest writes one request by hand, so that any method and header
// goes on the wire as written, and reads the status and body.
func rawRequest(t *testing.T, base, method, path string, h http.Header, body string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var b strings.Builder
	b.WriteString(method + " " + path + " HTTP/1.1\r\nHost: web\r\n")
	h.Write(&b)
	if body != "" {
		b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
	}
	b.WriteString("\r\n" + body)
	if _, err := io.WriteString(c, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(rb)
}

func TestConnect(t *testing.T) {
	base, _ := served(t, &upstream{})
	status, body := rawRequest(t, base, "CONNECT", "db.internal:5432", nil, "")
	if status != 403 || !strings.Contains(body, "CONNECT is refused") {
		t.Errorf("got %d %q, want 403 CONNECT is refused", status, body)
	}
}

func TestGETInjectsCredentials(t *testing.T) {
	up := &upstream{}
	base, ops := served(t, up)
	req, _ := http.NewRequest("GET", base+"/x?q=1", nil)
	req.Header.Set("Authorization", "Bearer developer-token")
	req.Header.Set("Cookie", "session=dev")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hello Bearer s3cret" {
		t.Errorf("body %q: want the injected credentials upstream", b)
	}
	up.mu.Lock()
	seen := up.seen[len(up.seen)-1]
	up.mu.Unlock()
	if seen.Header.Get("Cookie") != "" || seen.URL.RawQuery != "q=1" {
		t.Errorf("upstream saw cookie %q, query %q", seen.Header.Get("Cookie"), seen.URL.RawQuery)
	}
	testutil.Eventually(t, "the operation recorded once the handler returns", func() bool { return len(ops()) > 0 })
	got := ops()
	if len(got) != 1 || got[0].Verdict != proxy.Allowed || got[0].Detail["method"] != "GET" ||
		got[0].Detail["path"] != "/x" || got[0].Detail["status"] != "200" || got[0].Detail["bytes"] != "19" {
		t.Errorf("operations %+v", got)
	}
}

func TestStreams(t *testing.T) {
	base, _ := served(t, &upstream{})
	start := time.Now()
	resp, err := http.Get(base + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || len(line) != 11 {
		t.Fatalf("first line %q, %v", line, err)
	}
	// The upstream takes 600 ms for the whole body; the first line must
	// come long before.
	if d := time.Since(start); d > 250*time.Millisecond {
		t.Errorf("first chunk after %v: the response is buffered", d)
	}
}
