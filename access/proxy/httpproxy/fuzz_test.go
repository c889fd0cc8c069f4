package httpproxy

import (
	"bufio"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// fuzzPrefix is the paths: allowlist FuzzRefusal checks against.
const fuzzPrefix = "/api/public"

// FuzzRefusal checks the filter's promise on any request line, header and
// body framing, parsed the way the server parses them: what passes is
// GET, HEAD or OPTIONS without a body, without an upgrade, without a
// header or query parameter naming a method, and with a path that holds
// no dot segment or backslash however often it is decoded and, under an
// allowlist, stays under it. The oracles are written apart from the
// filter's code.
func FuzzRefusal(f *testing.F) {
	f.Add("GET", "/?a=1&_method=put", "X-HTTP-Method-Override", "DELETE", "")
	f.Add("POST", "/", "Content-Type", "text/plain", "a=1")
	f.Add("OPTIONS", "/?_Method=x", "Connection", "keep-alive, Upgrade", "")
	f.Add("GET", "/api/public/x", "X_HTTP_METHOD_OVERRIDE", "DELETE", "")
	f.Add("GET", "/api/public/%2e%2e/admin", "Accept", "*/*", "")
	f.Add("GET", "/api/public/..%252fadmin", "X-Original-Method", "POST", "")
	f.Add("GET", "/api/public/..;/admin?.method=DELETE", "Accept", "*/*", "")
	f.Add("GET", "/api/public%5c..%5cadmin?[method]=x", "Accept", "*/*", "")
	f.Add("HEAD", "/api/public/x", "Transfer-Encoding", "chunked", "")
	f.Add("GET", "/api/publicity", "Accept", "*/*", "x")
	f.Add("GET", "/api/public/a%2520b?q=1", "Accept", "*/*", "")
	f.Add("OPTIONS", "/api/public", "If-None-Match", "\"v\"", "")
	// Every attack of the table tests is a seed.
	for _, h := range overrideHeaderAttacks {
		name, value, _ := strings.Cut(h, ": ")
		f.Add("GET", "/api/public/x", name, value, "")
	}
	for _, q := range overrideParamAttacks {
		f.Add("GET", "/api/public/x?"+q, "Accept", "*/*", "")
	}
	for _, p := range pathAttacks {
		f.Add("GET", strings.Replace(p, "/public", "/api/public", 1), "Accept", "*/*", "")
	}
	f.Add("GET", "/api/public/x", "Transfer-Encoding", "chunked", smuggled)
	f.Add("OPTIONS", "/api/public/x", "Content-Type", "text/plain", smuggled)
	f.Add("GET", "/api/public/x", "X-Forwarded-User", "admin", "")
	f.Fuzz(func(t *testing.T, method, target, hname, hvalue, body string) {
		raw := method + " " + target + " HTTP/1.1\r\nHost: web\r\n" + hname + ": " + hvalue + "\r\n"
		if body != "" {
			raw += "Content-Length: " + strconv.Itoa(len(body)) + "\r\n"
		}
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw + "\r\n" + body)))
		if err != nil {
			return // the server answers 400 itself
		}
		for _, prefixes := range [][]string{nil, {fuzzPrefix}} {
			if (Rules{Paths: prefixes}).Refusal(r) != "" {
				continue
			}
			if r.Method != "GET" && r.Method != "HEAD" && r.Method != "OPTIONS" {
				t.Fatalf("%q passed", r.Method)
			}
			if r.ContentLength != 0 || len(r.TransferEncoding) > 0 {
				t.Fatalf("a body passed: %q", raw)
			}
			if r.Header.Get("Upgrade") != "" {
				t.Fatal("an upgrade passed")
			}
			for k := range r.Header {
				if namesMethod(k) {
					t.Fatalf("header %q passed", k)
				}
			}
			q, _ := url.ParseQuery(r.URL.RawQuery)
			for k := range q {
				if namesMethod(k) {
					t.Fatalf("query parameter %q passed", k)
				}
			}
			checkPath(t, r.URL.EscapedPath(), prefixes)
		}
	})
}

// namesMethod is the oracle for names: "method" in the name without case,
// - and _ (the filter also drops other punctuation, which only refuses
// more).
func namesMethod(name string) bool {
	n := strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(name))
	return strings.Contains(n, "method")
}

// checkPath is the oracle for a path that passed: decoded with the
// standard library as long as it decodes, it never holds \ nor a . or ..
// segment (before any ;parameter, with trailing blanks trimmed), and under
// an allowlist each decoding stays under it.
func checkPath(t *testing.T, escaped string, prefixes []string) {
	t.Helper()
	p := escaped
	for range 8 {
		if strings.Contains(p, `\`) {
			t.Fatalf("path %q passed: a backslash in %q", escaped, p)
		}
		for _, seg := range strings.Split(p, "/") {
			seg, _, _ = strings.Cut(seg, ";")
			if s := strings.TrimRight(seg, " \t"); s == "." || s == ".." {
				t.Fatalf("path %q passed: a dot segment in %q", escaped, p)
			}
		}
		if len(prefixes) > 0 && p != fuzzPrefix && !strings.HasPrefix(p, fuzzPrefix+"/") {
			t.Fatalf("path %q passed: %q is not under %s", escaped, p, fuzzPrefix)
		}
		d, err := url.PathUnescape(p)
		if err != nil || d == p {
			return
		}
		p = d
	}
}

// FuzzGraphQL checks that a document that passes leaves nothing hidden:
// a mutation appended after it (on a new line, so that a trailing comment
// ends) is always found. A lexer that a string, comment or bracket could
// derail would let it through.
func FuzzGraphQL(f *testing.F) {
	for _, s := range []string{
		"{ a }", "query Q($x: In = {a: [1]}) @d(x: 1) { a(b: \"}\") { ...F } } fragment F on T { c }",
		"# comment\n{ a }", "{ a(s: \"\"\"x\"\"\"\") }", "query { mutation }", "{a} # trailing",
		"{ a(s: \"\\\"}\") }", "\ufeff{a}",
	} {
		f.Add(s)
	}
	for _, s := range graphQLAttacks {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		if graphQLDocRefusal(doc) != "" {
			return
		}
		for _, m := range []string{"\nmutation { drop }", "\nsubscription { s }", "\n mutation M { drop }"} {
			if graphQLDocRefusal(doc+m) == "" {
				t.Fatalf("%q passed with %q appended", doc, m)
			}
		}
		q := url.Values{"query": {doc + "\nmutation { drop }"}, "operationName": {"Q"}}
		if graphQLRefusal(q) == "" {
			t.Fatalf("%q passed as a query parameter with a mutation appended", doc)
		}
	})
}
