package httpproxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/access/proxy"
)

// The tests here attack the proxy and judge only by what the recording
// upstream received over its TCP connections: the proxy's answer is
// checked too, but a 403 that still let bytes through is a failure.

// smuggled is a whole request hidden in a body: the upstream, which does
// not read GET bodies, would run it next on the pooled connection.
const smuggled = "POST /admin/delete-everything HTTP/1.1\r\nHost: web\r\nContent-Length: 0\r\n\r\n"

func withBody(method, body string, lines ...string) string {
	return request(method, "/", append(lines, "Content-Length: "+strconv.Itoa(len(body)))...) + body
}

func chunked(method string, chunks ...string) string {
	var b strings.Builder
	for _, c := range chunks {
		fmt.Fprintf(&b, "%x\r\n%s\r\n", len(c), c)
	}
	b.WriteString("0\r\n\r\n")
	return request(method, "/", "Transfer-Encoding: chunked") + b.String()
}

// assertNothingReached fails unless the upstream received no byte at all.
func assertNothingReached(t *testing.T, g *gateway) {
	t.Helper()
	reqs, raw := g.settle()
	if len(reqs) != 0 || raw != "" {
		t.Fatalf("the upstream received %d requests %+v; bytes:\n%s", len(reqs), reqs, raw)
	}
}

// assertOnly fails unless the upstream parsed exactly the requests
// (method and request target) in want, in order, and nothing else.
func assertOnly(t *testing.T, g *gateway, want ...string) []seenRequest {
	t.Helper()
	reqs, raw := g.settle()
	var got []string
	for _, r := range reqs {
		if r.Malformed != "" {
			got = append(got, "MALFORMED "+r.Malformed)
			continue
		}
		got = append(got, r.Method+" "+r.RequestURI)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the upstream parsed %q, want %q; bytes:\n%s", got, want, raw)
	}
	return reqs
}

func TestAttackBodySmuggling(t *testing.T) {
	tests := []struct{ name, raw string }{
		{"GET with Content-Length", withBody("GET", smuggled)},
		{"GET text/plain", withBody("GET", smuggled, "Content-Type: text/plain")},
		{"GET form", withBody("GET", "a=1", "Content-Type: application/x-www-form-urlencoded")},
		{"HEAD with Content-Length", withBody("HEAD", smuggled)},
		{"OPTIONS with Content-Length", withBody("OPTIONS", smuggled)},
		{"GET chunked", chunked("GET", smuggled)},
		{"OPTIONS chunked", chunked("OPTIONS", smuggled)},
		{"GET empty chunked", chunked("GET")},
		{"GET chunked and Content-Length", request("GET", "/", "Content-Length: 4", "Transfer-Encoding: chunked") +
			fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(smuggled), smuggled)},
		{"GET one byte", withBody("GET", "x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGateway(t, Options{})
			status, body := g.send(tt.raw)
			if status != 403 || (!strings.HasPrefix(tt.name, "HEAD") && !strings.Contains(body, "body")) {
				t.Errorf("answer %d %q, want 403 naming the body", status, body)
			}
			// The pooled upstream connection must be clean: a later
			// request arrives alone.
			if status, _ := g.send(request("GET", "/after")); status != 200 {
				t.Errorf("GET /after: %d", status)
			}
			assertOnly(t, g, "GET /after")
		})
	}
}

func TestAttackEmptyBodyPasses(t *testing.T) {
	g := newGateway(t, Options{})
	if status, _ := g.send(request("GET", "/", "Content-Length: 0")); status != 200 {
		t.Errorf("GET with Content-Length: 0: %d", status)
	}
	reqs := assertOnly(t, g, "GET /")
	if _, ok := reqs[0].Header["Content-Length"]; ok {
		t.Errorf("the upstream saw Content-Length %q", reqs[0].Header["Content-Length"])
	}
}

func TestAttackMalformedChunk(t *testing.T) {
	for _, method := range []string{"GET", "OPTIONS", "POST"} {
		for name, body := range map[string]string{
			"bad size":   "zz\r\nabc\r\n0\r\n\r\n",
			"short data": "5\r\nab\r\n0\r\n\r\n",
			"no CRLF":    "3\r\nabcX0\r\n\r\n",
		} {
			t.Run(method+" "+name, func(t *testing.T) {
				g := newGateway(t, Options{})
				status, answer := g.send(request(method, "/", "Transfer-Encoding: chunked") + body)
				if status != 400 {
					t.Errorf("answer %d %q, want 400", status, answer)
				}
				assertNothingReached(t, g)
			})
		}
	}
}

// overrideHeaderAttacks are header lines naming a method; FuzzRefusal starts from them too.
var overrideHeaderAttacks = []string{
	"X-HTTP-Method-Override: DELETE",
	"X_HTTP_METHOD_OVERRIDE: DELETE",
	"x-http-method-override: POST",
	"X-Original-Method: DELETE",
	"X-Forwarded-Method: POST",
	"X-HTTP-Method: PUT",
	"X-Method-Override: PATCH",
	"X_Method: DELETE",
	"Method: DELETE",
	"XHTTPMETHODOVERRIDE: DELETE",
	"X-Http-MeThOd-Override: GET",
	"X-Me-Thod: DELETE",
	"X-Me_tho-d-Override: DELETE",
}

// overrideParamAttacks are query strings with a parameter naming a method.
var overrideParamAttacks = []string{
	"_method=DELETE",
	"a=1&_method=DELETE",
	"_METHOD=put",
	".method=DELETE",
	"[method]=DELETE",
	"_method[]=DELETE",
	"_method%5B%5D=DELETE",
	"%5Fmethod=DELETE",
	"%255Fmethod=DELETE",
	"x[_method]=DELETE",
	"method=DELETE",
	"_me-thod=DELETE",
	"+_method=DELETE",
	"_method+=DELETE",
	"a=1;_method=DELETE",
	"a=%zz&_method=DELETE",
}

// pathAttacks are request targets that leave what was asked.
var pathAttacks = []string{
	"/..",
	"/../etc/passwd",
	"/public/../admin",
	"/public/./admin",
	"/public/%2e%2e/admin",
	"/public/%2E%2E/admin",
	"/public/.%2e/admin",
	"/public/%2e./admin",
	"/public/..%2fadmin",
	"/public/..%2Fadmin",
	"/public/%2e%2e%2fadmin",
	"/public/..;/admin",
	"/public/..;jsessionid=1/admin",
	"/public/%252e%252e/admin",
	"/public/%252e%252e%252fadmin",
	"/public/%25252e%25252e/admin",
	"/public/..%252fadmin",
	"/public\\..\\admin",
	"/public/..\\admin",
	"/public/%5c..%5cadmin",
	"/public/%5C..%5Cadmin",
	"/public/%255c..%255cadmin",
	"/public/.. /admin",
	"/public/..%20/admin",
	"/public/.../admin",
	"/public/%2e/admin",
	"/public/%2E",
	"/%2e%2e",
	"/public/%2e%2e;/admin",
	"/public/%2e%2e%3b/admin",
	"/public/....//admin",
	"/public/..%09/admin",
	"/public/%c0%ae%c0%ae/admin",
	"/public/..%c0%afadmin",
	"/public/%e0%80%ae%e0%80%ae/admin",
	"/public/%e2%80%a4%e2%80%a4/admin",
	"/public/%ef%bc%8e%ef%bc%8e/admin",
	"/public/%25u002e%25u002e/admin",
	"/public/%00/admin",
	"/public/%0d%0aX-Injected:%201",
	"*",
}

func TestAttackOverrideHeaders(t *testing.T) {
	for _, h := range overrideHeaderAttacks {
		t.Run(h, func(t *testing.T) {
			g := newGateway(t, Options{})
			status, body := g.send(request("GET", "/", h))
			if status != 403 || !strings.Contains(body, "method") {
				t.Errorf("answer %d %q, want 403", status, body)
			}
			assertNothingReached(t, g)
		})
	}
}

func TestAttackOverrideParams(t *testing.T) {
	for _, q := range overrideParamAttacks {
		t.Run(q, func(t *testing.T) {
			g := newGateway(t, Options{})
			status, body := g.send(request("GET", "/items?"+q))
			if status != 403 {
				t.Errorf("answer %d %q, want 403", status, body)
			}
			assertNothingReached(t, g)
		})
	}
	// Bodies carrying _method are refused as bodies whatever their type,
	// and on every method.
	for _, ct := range []string{"application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=XX"} {
		for _, method := range []string{"GET", "HEAD", "OPTIONS", "POST"} {
			body := map[string]string{
				"application/json":                  `{"_method":"DELETE"}`,
				"text/plain":                        "_method=DELETE",
				"application/x-www-form-urlencoded": "_method=DELETE",
				"multipart/form-data; boundary=XX":  "--XX\r\nContent-Disposition: form-data; name=\"_method\"\r\n\r\nDELETE\r\n--XX--\r\n",
			}[ct]
			t.Run(method+" "+ct, func(t *testing.T) {
				g := newGateway(t, Options{})
				status, answer := g.send(withBody(method, body, "Content-Type: "+ct))
				if status != 403 {
					t.Errorf("answer %d %q, want 403", status, answer)
				}
				assertNothingReached(t, g)
			})
		}
	}
}

func TestAttackPathTraversal(t *testing.T) {
	for _, p := range pathAttacks {
		t.Run(p, func(t *testing.T) {
			g := newGateway(t, Options{})
			status, body := g.send(request("GET", p))
			if status != 403 && status != 400 {
				t.Errorf("answer %d %q, want 403 (or the server's 400)", status, body)
			}
			assertNothingReached(t, g)
		})
	}
}

// TestAttackIdentityHeaders sends every identity header there is and
// checks, header by header, what the upstream received.
func TestAttackIdentityHeaders(t *testing.T) {
	g := newGateway(t, Options{})
	spoof := []string{
		"X-Forwarded-User: admin", "X_Forwarded_User: admin", "X-Real-IP: 10.0.0.1", "Impersonate-User: system:admin",
		"Impersonate-Group: system:masters", "Impersonate-Uid: 0", "Impersonate-Extra-Scopes: all",
		"X-Forwarded-For: 10.0.0.1", "X-Forwarded-For: 127.0.0.1", "Forwarded: for=10.0.0.1;by=me",
		"X-Forwarded-Host: admin.internal", "X-Forwarded-Proto: https", "X-Remote-User: admin", "X-Remote-Group: admins",
		"Remote-User: admin", "X-Auth-Request-User: admin", "X-Auth-Request-Email: admin@example.com",
		"X-Webauth-User: admin", "X-Grafana-User: admin", "X-Client-IP: 10.0.0.1", "True-Client-IP: 10.0.0.1",
		"CF-Connecting-IP: 10.0.0.1", "X-Original-URL: /admin", "X-Rewrite-URL: /admin", "X-Api-Key: developer-key",
		"Authorization: Bearer developer", "Proxy-Authorization: Basic eA==", "Cookie: session=dev", "X-Scope-OrgID: other-tenant",
		"Via: 1.1 spoof",
		// Passed:
		"Accept: application/json", "Accept-Language: en", "If-None-Match: \"v1\"", "Range: bytes=0-1", "User-Agent: curl/8",
	}
	if status, _ := g.send(request("GET", "/whoami", spoof...)); status != 200 {
		t.Fatalf("status %d", status)
	}
	reqs := assertOnly(t, g, "GET /whoami")
	got := reqs[0].Header
	want := map[string][]string{
		"Authorization":   {"Bearer s3cret"},
		"X-Forwarded-For": {"100.101.0.7"},
		"Accept":          {"application/json"},
		"Accept-Language": {"en"},
		"If-None-Match":   {`"v1"`},
		"Range":           {"bytes=0-1"},
		"User-Agent":      {"curl/8"},
	}
	for k, vs := range got {
		if w, ok := want[k]; !ok || strings.Join(w, "\n") != strings.Join(vs, "\n") {
			t.Errorf("the upstream received %s: %q", k, vs)
		}
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("the upstream did not receive %s", k)
		}
	}
}

func TestAttackPathsAllowlist(t *testing.T) {
	g := newGateway(t, Options{Paths: []string{"/api/public", "/static/"}})
	for _, p := range []string{
		"/", "/api", "/api/", "/api/publicity", "/api/private", "/api/public/../private", "/api/public/%2e%2e/private",
		"/api/public%2f..%2fprivate", "/api/public/..;/private", "/%61pi/public", "/API/public", "/static", "//api/public",
		"/api/public\\..\\private", "/api/public%5c..%5cprivate", "/api/public/%252e%252e/private", "/static/..%2f..%2fapi/private",
	} {
		status, body := g.send(request("GET", p))
		if status != 403 && status != 400 {
			t.Errorf("GET %s: %d %q, want 403", p, status, body)
		}
	}
	assertNothingReached(t, g)

	g = newGateway(t, Options{Paths: []string{"/api/public", "/static/"}})
	for _, p := range []string{"/api/public", "/api/public/", "/api/public/x?y=1", "/static/app.js", "/api/public/a%20b"} {
		if status, body := g.send(request("GET", p)); status != 200 {
			t.Errorf("GET %s: %d %q, want 200", p, status, body)
		}
	}
	assertOnly(t, g, "GET /api/public", "GET /api/public/", "GET /api/public/x?y=1", "GET /static/app.js", "GET /api/public/a%20b")
}

func TestNewRefusesBadOptions(t *testing.T) {
	u := newRecordingUpstream(t).URL()
	for _, o := range []Options{
		{Paths: []string{"api"}}, {Paths: []string{"/api/../admin"}}, {Paths: []string{"/api/%2e%2e"}}, {Paths: []string{"/a\\b"}},
		{Paths: []string{"/a b"}}, {Paths: []string{"/é"}}, {Paths: []string{"/a;b"}},
		{AllowHeaders: []string{"X-Forwarded-User"}}, {AllowHeaders: []string{"x-http-method-override"}},
		{AllowHeaders: []string{"Impersonate-User"}}, {AllowHeaders: []string{"Cookie"}}, {AllowHeaders: []string{"Bad Name"}},
		{AllowHeaders: []string{"X-Api-Key"}, Header: http.Header{"X-Api-Key": {"s"}}},
	} {
		o.Upstream = u
		if p, err := New(o); err == nil {
			p.Close()
			t.Errorf("New(%+v) accepted", o)
		}
	}
}

// TestHopByHopHeaders: a header the client's Connection header names is
// for the proxy alone, even when it is on the allowlist.
func TestHopByHopHeaders(t *testing.T) {
	g := newGateway(t, Options{})
	if status, _ := g.send(request("GET", "/", "Connection: keep-alive, Range", "Range: bytes=0-1", "Accept: */*")); status != 200 {
		t.Fatalf("status %d", status)
	}
	h := assertOnly(t, g, "GET /")[0].Header
	if h.Get("Range") != "" || h.Get("Accept") != "*/*" {
		t.Errorf("the upstream received %v", h)
	}
}

func TestAllowHeaders(t *testing.T) {
	g := newGateway(t, Options{AllowHeaders: []string{"x-scope-orgid"}})
	if status, _ := g.send(request("GET", "/", "X-Scope-OrgID: team-a", "X-Other: 1", "X_Scope_OrgID: team-b")); status != 200 {
		t.Fatalf("status %d", status)
	}
	h := assertOnly(t, g, "GET /")[0].Header
	if got := h["X-Scope-Orgid"]; len(got) != 1 || got[0] != "team-a" || h["X-Other"] != nil || h["X_scope_orgid"] != nil {
		t.Errorf("the upstream received %v", h)
	}
}

// graphQLAttacks are GraphQL documents that must be refused.
var graphQLAttacks = []string{
	"mutation { deleteAll }",
	"mutation M { deleteAll }",
	"subscription { events }",
	"  \n\t,mutation{deleteAll}",
	"# query\nmutation { deleteAll }",
	"#{\nmutation { deleteAll }",
	"#comment\rmutation { deleteAll }",
	"query A { a } mutation B { deleteAll }",
	"mutation B { deleteAll } query A { a }",
	"{ a } mutation { deleteAll }",
	"query A { a(s: \"}\") } mutation B { deleteAll }",
	"query A { a(s: \"\"\"}\"\"\") } mutation B { deleteAll }",
	"query A { a(s: \"\\\"}\") } mutation B { deleteAll }",
	"query A($x: In = {a: \"{\"}) { a } mutation { deleteAll }",
	"fragment F on T { a } mutation { deleteAll ...F }",
	"query A { a } # }\nmutation { deleteAll }",
	"\ufeffmutation { deleteAll }",
	"Mutation { deleteAll }",
	"MUTATION { deleteAll }",
	"mutation\u2028{ deleteAll }",
	"{ a } #\u2028mutation { deleteAll }",
	"query A { a } \u00a0mutation { deleteAll }",
	"query { a ",
	"query { a ) }",
	"query A { a(s: \"unterminated) }",
	"",
	"fragment F on T { a }",
	"schema { query: Q mutation: M }",
	"extend type Mutation { x: Int }",
}

func TestAttackGraphQL(t *testing.T) {
	for _, doc := range graphQLAttacks {
		t.Run(doc, func(t *testing.T) {
			g := newGateway(t, Options{GraphQL: true})
			q := url.Values{"query": {doc}, "operationName": {"A"}}
			status, body := g.send(request("GET", "/graphql?"+q.Encode()))
			if status != 403 {
				t.Errorf("answer %d %q, want 403", status, body)
			}
			assertNothingReached(t, g)
		})
	}
	for name, raw := range map[string]string{
		"two query parameters": "query=%7Ba%7D&query=mutation%7Bd%7D",
		"query[]":              "query[]=mutation%7Bd%7D",
		"Query":                "Query=mutation%7Bd%7D",
		"persisted hash":       "extensions=%7B%22persistedQuery%22%3A%7B%22sha256Hash%22%3A%22ab%22%7D%7D",
		"documentId":           "documentId=abc",
		"doc_id":               "doc_id=123",
	} {
		t.Run(name, func(t *testing.T) {
			g := newGateway(t, Options{GraphQL: true})
			status, body := g.send(request("GET", "/graphql?"+raw))
			if status != 403 {
				t.Errorf("answer %d %q, want 403", status, body)
			}
			assertNothingReached(t, g)
		})
	}

	g := newGateway(t, Options{GraphQL: true})
	var want []string
	for _, doc := range []string{
		"{ a }", "query { a }", "query Q($x: In = {a: [1, 2]}) @cached(ttl: 5) { a(b: $x) { ...F } } fragment F on T { c }",
		"# mutation { d }\n{ a }", "{ mutation subscription }", "query mutation { a }", "{ a(s: \"mutation { d }\") }",
		"query A { a } query B { b }",
	} {
		target := "/graphql?" + url.Values{"query": {doc}}.Encode()
		if status, body := g.send(request("GET", target)); status != 200 {
			t.Errorf("%q: %d %q, want 200", doc, status, body)
		}
		want = append(want, "GET "+target)
	}
	if status, _ := g.send(request("GET", "/graphql")); status != 200 {
		t.Errorf("GET /graphql without a query: %d", status)
	}
	assertOnly(t, g, append(want, "GET /graphql")...)
}

// TestAttackAbsoluteForm asks for another host in the request line and
// the Host header: the upstream still receives an origin-form request
// for its own host.
func TestAttackAbsoluteForm(t *testing.T) {
	g := newGateway(t, Options{})
	raw := "GET http://169.254.169.254/latest/meta-data?x=1 HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n"
	if status, _ := g.send(raw); status != 200 {
		t.Fatalf("status %d", status)
	}
	r := assertOnly(t, g, "GET /latest/meta-data?x=1")[0]
	if r.Host != g.up.ln.Addr().String() {
		t.Errorf("the upstream received Host %q", r.Host)
	}
}

// TestAuditRecordsRefusals checks that a refused path is recorded as it
// was sent, with the reason.
func TestAuditRecordsRefusals(t *testing.T) {
	g := newGateway(t, Options{})
	if status, _ := g.send(request("GET", "/public/%2e%2e/admin?a=1")); status != 403 {
		t.Fatalf("status %d", status)
	}
	assertNothingReached(t, g)
	ops := g.waitOps(1)
	if len(ops) != 1 || ops[0].Verdict != proxy.Refused || ops[0].Detail["path"] != "/public/../admin" ||
		ops[0].Detail["raw_path"] != "/public/%2e%2e/admin" || ops[0].Detail["query"] != "a=1" ||
		ops[0].Detail["status"] != "403" || !strings.Contains(ops[0].Detail["reason"], "dot segment") {
		t.Errorf("operations %+v", ops)
	}
}

// TestAttackPipelinedAfterRefusedBody pipelines a request after a refused
// body on one connection: the connection ends with the refusal, so the
// second request is never served, however the body was framed.
func TestAttackPipelinedAfterRefusedBody(t *testing.T) {
	for name, first := range map[string]string{
		"Content-Length": withBody("GET", smuggled),
		"chunked":        chunked("GET", smuggled),
		"POST":           withBody("POST", smuggled),
	} {
		t.Run(name, func(t *testing.T) {
			g := newGateway(t, Options{})
			c, err := net.Dial("tcp", g.base)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, first+request("GET", "/second"))
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != 403 || !resp.Close {
				t.Errorf("answer %d, close %v; want 403 and the connection closed", resp.StatusCode, resp.Close)
			}
			if rest, _ := io.ReadAll(br); len(rest) != 0 {
				t.Errorf("a second answer: %q", rest)
			}
			assertNothingReached(t, g)
		})
	}
}

// TestAttackHTTP2Preface sends the HTTP/2 prior-knowledge preface.
func TestAttackHTTP2Preface(t *testing.T) {
	g := newGateway(t, Options{})
	c, err := net.Dial("tcp", g.base)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
	io.Copy(io.Discard, c) // whatever the answer, until the proxy closes
	assertNothingReached(t, g)
}

// TestOrdinaryPathsPass keeps the path rules from refusing what is no
// traversal: dots inside names, encoded spaces and letters, a literal %.
func TestOrdinaryPathsPass(t *testing.T) {
	g := newGateway(t, Options{})
	paths := []string{"/", "/a/b.c", "/.well-known/openid-configuration", "/v1.2/..x/x..", "/a%20b", "/wiki/Z%C3%BCrich",
		"/search/100%25", "/a/b/", "/a//b", "/q?path=../x&next=%2e%2e"}
	var want []string
	for _, p := range paths {
		if status, body := g.send(request("GET", p)); status != 200 {
			t.Errorf("GET %s: %d %q", p, status, body)
		}
		want = append(want, "GET "+p)
	}
	assertOnly(t, g, want...)
}

// TestAttackHTTP10Chunked: Go ignores Transfer-Encoding on HTTP/1.0
// requests and reads what follows the headers as the client's next
// request; that request is filtered like any other, so the POST hidden in
// the "chunk" never reaches the upstream.
func TestAttackHTTP10Chunked(t *testing.T) {
	g := newGateway(t, Options{})
	c, err := net.Dial("tcp", g.base)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "GET /first HTTP/1.0\r\nHost: web\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"+
		fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(smuggled), smuggled))
	io.Copy(io.Discard, c)
	reqs := assertSettled(t, g)
	t.Logf("the upstream received %d requests", len(reqs))
	for _, r := range reqs {
		if r.Method != "GET" || r.RequestURI != "/first" {
			t.Errorf("the upstream received %s %s %s", r.Method, r.RequestURI, r.Malformed)
		}
	}
}

// assertSettled returns what the upstream received, failing on bytes
// that were no request.
func assertSettled(t *testing.T, g *gateway) []seenRequest {
	t.Helper()
	reqs, raw := g.settle()
	for _, r := range reqs {
		if r.Malformed != "" {
			t.Fatalf("the upstream received bytes that were no request: %s\n%s", r.Malformed, raw)
		}
	}
	return reqs
}
