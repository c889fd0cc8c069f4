package httpproxy

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Rules are a target's request rules: the fixed ones (method, body,
// override headers and parameters, upgrades, dot segments) and the
// per-target ones.
type Rules struct {
	// Paths, when set, are the only path prefixes that reach the
	// upstream (default-deny). A prefix matches itself and what lies
	// below it: /api/public matches /api/public and /api/public/x, not
	// /api/publicity; /api/ matches everything under /api/.
	Paths []string
	// GraphQL refuses GraphQL mutations and subscriptions in a GET's
	// query parameter, and persisted queries the gateway cannot read.
	GraphQL bool
}

// maxDecodes bounds how many times a path is percent-decoded while it
// is checked; a path still encoded after that is refused.
const maxDecodes = 4

// Refusal says why r may not reach a read-only upstream, or "" if it may.
// It looks at the method, the body's framing, the headers, the path and
// the query; it never reads the body.
func (ru Rules) Refusal(r *http.Request) string {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	case http.MethodConnect:
		return "CONNECT is refused: the gateway does not open tunnels through a read-only target"
	default:
		return fmt.Sprintf("%s is refused: this target is read-only through devenv; only GET, HEAD and OPTIONS reach it",
			safeText(r.Method))
	}
	if hasBody(r) {
		return fmt.Sprintf("a request body is refused on %s: an upstream that does not read it would run it as another request", r.Method)
	}
	if reason := headerRefusal(r.Header); reason != "" {
		return reason
	}
	if r.Header.Get("Upgrade") != "" || hasToken(r.Header.Values("Connection"), "upgrade") {
		return "protocol upgrades (WebSocket and others) are refused: only plain GET, HEAD and OPTIONS reach this target"
	}
	if r.URL.Opaque != "" || !strings.HasPrefix(r.URL.EscapedPath(), "/") {
		return "the request target is not a path; it is refused"
	}
	if reason := pathRefusal(r.URL.EscapedPath(), ru.Paths); reason != "" {
		return reason
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return "the query string cannot be parsed, so it cannot be checked; it is refused"
	}
	for k := range q {
		if hasMethod(k) {
			return fmt.Sprintf("the query parameter %q is refused: a parameter naming a method could override it", safeText(k))
		}
	}
	if ru.GraphQL {
		return graphQLRefusal(q)
	}
	return ""
}

// hasBody reports whether r carries a body or says it does: a non-zero
// Content-Length or any Transfer-Encoding.
func hasBody(r *http.Request) bool {
	return r.ContentLength != 0 || len(r.TransferEncoding) > 0 || len(r.Header.Values("Transfer-Encoding")) > 0
}

// headerRefusal refuses every header whose name, without case and
// punctuation, contains "method": X-HTTP-Method-Override, its
// underscore spellings, X-Original-Method, X-Forwarded-Method and the
// ones nobody listed yet.
func headerRefusal(h http.Header) string {
	for k := range h {
		if hasMethod(k) {
			return fmt.Sprintf("the %s header is refused: a header naming a method could override it", safeText(k))
		}
	}
	return ""
}

// hasMethod reports whether a header or parameter name, lowercased and
// stripped of everything but letters and digits, contains "method": the
// spellings frameworks map to _method (.method, [method, _method[]) and
// X-HTTP-Method-Override all do.
func hasMethod(name string) bool {
	return strings.Contains(alnum(name), "method")
}

// alnum lowercases s and keeps only its ASCII letters and digits.
func alnum(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			b.WriteByte(c)
		case 'A' <= c && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		}
	}
	return b.String()
}

// pathRefusal says why an escaped request path is refused, or "" if it
// may pass. The path is checked as sent and after every round of
// percent-decoding (an upstream or a framework may decode once, twice or
// more): in none of them may it hold a dot segment (., .., with path
// parameters as in ..;/, with trailing spaces or dots, or spelled with
// look-alike dots), a backslash, a control character or invalid UTF-8,
// and, when prefixes are set, every one must lie under one of them.
func pathRefusal(escaped string, prefixes []string) string {
	p := escaped
	for i := 0; ; i++ {
		if reason := decodedPathRefusal(p); reason != "" {
			return reason
		}
		if len(prefixes) > 0 && !underPrefix(p, prefixes) {
			return fmt.Sprintf("the path %s is not under this target's allowed paths (%s)", safeText(escaped), strings.Join(prefixes, ", "))
		}
		d := unescapeAll(p)
		if d == p {
			return ""
		}
		if i == maxDecodes {
			return "the path is encoded too many times to be checked; it is refused"
		}
		p = d
	}
}

func decodedPathRefusal(p string) string {
	if !utf8.ValidString(p) {
		return "the path is not valid UTF-8 (overlong encodings can hide dots and slashes); it is refused"
	}
	for _, c := range p {
		switch {
		case c < 0x20 || c == 0x7f:
			return "the path holds a control character; it is refused"
		case c == '\\':
			return "the path holds a backslash, which some upstreams read as /; it is refused"
		}
	}
	if strings.Contains(strings.ToLower(p), "%u") {
		return "the path holds a %u escape, which some upstreams decode; it is refused"
	}
	for seg := range strings.SplitSeq(p, "/") {
		seg, _, _ = strings.Cut(seg, ";") // ..;jsessionid=x is .. to Tomcat and Jetty
		if isDots(seg) {
			return "the path holds a dot segment (. or .., encoded or not), which could reach outside what was asked; it is refused"
		}
	}
	return ""
}

// isDots reports whether a path segment is made of dots, look-alike dots
// and spaces, with at least one dot: ., .., ..., ". ." and their
// fullwidth forms, which some upstreams fold into dot segments.
func isDots(seg string) bool {
	dot := false
	for _, c := range seg {
		switch c {
		case '.', '\uff0e', '\u2024', '\ufe52', '\u3002':
			dot = true
		case ' ', '\t':
		default:
			return false
		}
	}
	return dot
}

// unescapeAll decodes every valid %XX of s and leaves other % as they
// are, decoding at least as much as any upstream would.
func unescapeAll(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && ishex(s[i+1]) && ishex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// underPrefix reports whether p lies under one of prefixes, on a segment
// boundary unless the prefix ends in /.
func underPrefix(p string, prefixes []string) bool {
	for _, pre := range prefixes {
		if p == pre || strings.HasPrefix(p, pre) && (strings.HasSuffix(pre, "/") || p[len(pre)] == '/') {
			return true
		}
	}
	return false
}

// CheckPathPrefix says what is wrong with a paths: entry, or nil.
func CheckPathPrefix(pre string) error {
	if !strings.HasPrefix(pre, "/") {
		return fmt.Errorf("path %q: want an absolute path such as /api/", pre)
	}
	// A prefix must read the same escaped and decoded: the path is
	// checked against it as sent and after each decoding.
	if strings.ContainsFunc(pre, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("/-._~!$&'()*+,=:@", r))
	}) {
		return fmt.Errorf("path %q: use only letters, digits and /-._~!$&'()*+,=:@ (no %%, ?, #, ;, spaces or other characters a client would escape)", pre)
	}
	if pathRefusal(pre, nil) != "" {
		return fmt.Errorf("path %q: no dot segments, backslashes or control characters", pre)
	}
	return nil
}

// hasToken reports whether a comma-separated header lists token.
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// safeText keeps a client-chosen word printable and short in messages.
func safeText(s string) string {
	if len(s) > 32 {
		s = s[:32] + "…"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
