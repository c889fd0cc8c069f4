package http

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
)

// maxFormBody bounds the form body a read-only request may carry; a larger
// one cannot be inspected for _method and is refused.
const maxFormBody = 1 << 20

// overrideHeaders tell frameworks to treat a request as another method;
// their presence alone, whatever the value, is refused.
var overrideHeaders = []string{"X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"}

// Refusal says why r may not reach a read-only upstream, or "" if it may.
// It looks at the method, the headers and the query only; CheckBody looks
// at a form body.
func Refusal(r *http.Request) string {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	case http.MethodConnect:
		return "CONNECT is refused: the gateway does not open tunnels through a read-only target"
	default:
		return fmt.Sprintf("%s is refused: this target is read-only through devenv; only GET, HEAD and OPTIONS reach it",
			safeText(r.Method))
	}
	for _, h := range overrideHeaders {
		if _, ok := r.Header[http.CanonicalHeaderKey(h)]; ok {
			return fmt.Sprintf("the %s header is refused: method overrides could turn a read into a write", h)
		}
	}
	if r.Header.Get("Upgrade") != "" || hasToken(r.Header.Values("Connection"), "upgrade") {
		return "protocol upgrades (WebSocket and others) are refused: only plain GET, HEAD and OPTIONS reach this target"
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return "the query string cannot be parsed, so it cannot be checked; it is refused"
	}
	if hasMethodParam(q) {
		return "the _method parameter is refused: method overrides could turn a read into a write"
	}
	return ""
}

// CheckBody reads a form body (urlencoded or multipart) and says why it is
// refused, or "" if it may pass; r.Body is replaced so that the body can
// still be sent. Other bodies are not read.
func CheckBody(r *http.Request) string {
	if r.Body == nil || r.Body == http.NoBody {
		return ""
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/x-www-form-urlencoded" && mt != "multipart/form-data") {
		return ""
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxFormBody+1))
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return "the form body could not be read, so it cannot be checked; it is refused"
	}
	if len(b) > maxFormBody {
		return "the form body is too large to be checked for method overrides; it is refused"
	}
	if mt == "multipart/form-data" {
		return multipartRefusal(b, params["boundary"])
	}
	q, err := url.ParseQuery(string(b))
	if err != nil {
		return "the form body cannot be parsed, so it cannot be checked; it is refused"
	}
	if hasMethodParam(q) {
		return "the _method form field is refused: method overrides could turn a read into a write"
	}
	return ""
}

func multipartRefusal(b []byte, boundary string) string {
	if boundary == "" {
		return "the multipart body has no boundary, so it cannot be checked; it is refused"
	}
	mr := multipart.NewReader(bytes.NewReader(b), boundary)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return ""
		}
		if err != nil {
			return "the multipart body cannot be parsed, so it cannot be checked; it is refused"
		}
		if strings.EqualFold(p.FormName(), "_method") {
			return "the _method form field is refused: method overrides could turn a read into a write"
		}
	}
}

func hasMethodParam(q url.Values) bool {
	for k := range q {
		if strings.EqualFold(strings.TrimSpace(k), "_method") {
			return true
		}
	}
	return false
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
