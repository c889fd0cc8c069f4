package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzRefusal checks the filter's promise on any method, header and query:
// what passes is GET, HEAD or OPTIONS with no override of any kind.
func FuzzRefusal(f *testing.F) {
	f.Add("GET", "X-HTTP-Method-Override", "DELETE", "a=1&_method=put", "")
	f.Add("POST", "Content-Type", "text/plain", "", "")
	f.Add("OPTIONS", "Connection", "keep-alive, Upgrade", "_Method=x", "websocket")
	f.Fuzz(func(t *testing.T, method, hname, hvalue, query, upgrade string) {
		r := &http.Request{Method: method, URL: &url.URL{Path: "/", RawQuery: query}, Header: http.Header{}}
		r.Header.Set(hname, hvalue)
		if upgrade != "" {
			r.Header.Set("Upgrade", upgrade)
		}
		if (Rules{}).Refusal(r) != "" {
			return
		}
		if method != "GET" && method != "HEAD" && method != "OPTIONS" {
			t.Fatalf("%q passed", method)
		}
		for _, h := range []string{"X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"} {
			if _, ok := r.Header[http.CanonicalHeaderKey(h)]; ok {
				t.Fatalf("override header %s passed", h)
			}
		}
		if r.Header.Get("Upgrade") != "" {
			t.Fatal("an upgrade passed")
		}
		q, _ := url.ParseQuery(query)
		for k := range q {
			if strings.EqualFold(strings.TrimSpace(k), "_method") {
				t.Fatalf("query %q passed", query)
			}
		}
	})
}
