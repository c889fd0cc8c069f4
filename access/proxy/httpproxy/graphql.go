package httpproxy

import (
	"fmt"
	"net/url"
	"strings"
)

// graphQLRefusal says why a GraphQL GET is refused, or "" if it may pass.
// GraphQL over HTTP sends the document in the query parameter; only query
// operations may pass. A document is refused when any of its operations
// is a mutation or a subscription, whichever operationName picks: the
// gateway does not need to agree with the server on which one runs. A
// document the lexer below cannot read is refused too, and so are
// persisted queries (a hash or id naming a document the gateway cannot
// see).
func graphQLRefusal(q url.Values) string {
	var docs []string
	extensions := false
	for k, vs := range q {
		switch n := alnum(k); n {
		case "query":
			if k != "query" {
				return fmt.Sprintf("the parameter %q is refused: it may be read as the GraphQL query", safeText(k))
			}
			docs = append(docs, vs...)
		case "extensions":
			extensions = true
		case "documentid", "docid", "queryid", "persistedquery", "queryhash", "sha256hash", "hash":
			return fmt.Sprintf("the parameter %q is refused: persisted GraphQL queries cannot be checked for mutations", safeText(k))
		}
	}
	switch {
	case len(docs) > 1:
		return "more than one GraphQL query parameter is refused: servers differ on which one they run"
	case len(docs) == 0 && extensions:
		return "a GraphQL request with extensions and no query is refused: a persisted query cannot be checked for mutations"
	case len(docs) == 0:
		return ""
	}
	return graphQLDocRefusal(docs[0])
}

// graphQLDocRefusal reads the definitions of a GraphQL document: each is
// a selection set (a query), or query, fragment, mutation or
// subscription followed by a header and a selection set. Anything else,
// and anything it cannot lex, is refused.
func graphQLDocRefusal(doc string) string {
	l := &gqlLexer{s: doc}
	ops := 0
	for {
		tok, err := l.next()
		if err != "" {
			return "the GraphQL query cannot be read (" + err + "), so it cannot be checked; it is refused"
		}
		switch tok {
		case "":
			if ops == 0 {
				return "the GraphQL query has no operation; it is refused"
			}
			return ""
		case "{":
			ops++
			err = l.skipBalanced("{")
		case "query":
			ops++
			err = l.skipDefinition()
		case "fragment":
			err = l.skipDefinition()
		case "mutation", "subscription":
			return fmt.Sprintf("a GraphQL %s is refused: this target is read-only through devenv; only queries reach it", tok)
		default:
			return fmt.Sprintf("the GraphQL query holds %q where an operation should start; it is refused", safeText(tok))
		}
		if err != "" {
			return "the GraphQL query cannot be read (" + err + "), so it cannot be checked; it is refused"
		}
	}
}

// gqlLexer splits a GraphQL document into tokens: punctuators, names,
// numbers (as "0") and strings (as `"`). Ignored tokens (white space,
// line terminators, commas, comments, byte order marks) are skipped.
// Outside strings, only printable ASCII is accepted: a parser that
// disagreed about where a comment ends could otherwise see an operation
// this one skips.
type gqlLexer struct {
	s string
	i int
}

// next returns the next token, "" at the end, or an error message.
func (l *gqlLexer) next() (string, string) {
	for l.i < len(l.s) {
		c := l.s[l.i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			l.i++
		case strings.HasPrefix(l.s[l.i:], "\ufeff"):
			l.i += len("\ufeff")
		case c == '#':
			for l.i < len(l.s) && l.s[l.i] != '\n' && l.s[l.i] != '\r' {
				if d := l.s[l.i]; d < 0x20 && d != '\t' || d >= 0x7f {
					return "", "a comment holds a character other than printable ASCII"
				}
				l.i++
			}
		case strings.HasPrefix(l.s[l.i:], "..."):
			l.i += 3
			return "...", ""
		case strings.IndexByte("!$&()=:@[]{|}", c) >= 0:
			l.i++
			return string(c), ""
		case c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
			j := l.i
			for l.i < len(l.s) && (isNameByte(l.s[l.i])) {
				l.i++
			}
			return l.s[j:l.i], ""
		case c == '-' || '0' <= c && c <= '9':
			for l.i < len(l.s) && strings.IndexByte("-+.0123456789eE", l.s[l.i]) >= 0 {
				l.i++
			}
			if l.i < len(l.s) && isNameByte(l.s[l.i]) {
				return "", "a number runs into a name"
			}
			return "0", ""
		case c == '"':
			return `"`, l.string()
		default:
			return "", fmt.Sprintf("unexpected character %q", safeText(string(rune(c))))
		}
	}
	return "", ""
}

func isNameByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// string skips a string or block string starting at l.i.
func (l *gqlLexer) string() string {
	if strings.HasPrefix(l.s[l.i:], `"""`) {
		l.i += 3
		for l.i < len(l.s) {
			switch {
			case strings.HasPrefix(l.s[l.i:], `\"""`):
				l.i += 4
			case strings.HasPrefix(l.s[l.i:], `"""`):
				l.i += 3
				return ""
			default:
				l.i++
			}
		}
		return "unterminated block string"
	}
	l.i++
	for l.i < len(l.s) {
		switch l.s[l.i] {
		case '\\':
			l.i += 2
		case '"':
			l.i++
			return ""
		case '\n', '\r':
			return "a line break in a string"
		default:
			l.i++
		}
	}
	return "unterminated string"
}

var closing = map[string]string{"{": "}", "(": ")", "[": "]"}

// skipBalanced skips to the bracket that closes open, which was just read,
// requiring every bracket in between to match.
func (l *gqlLexer) skipBalanced(open string) string {
	stack := []string{closing[open]}
	for len(stack) > 0 {
		tok, err := l.next()
		switch {
		case err != "":
			return err
		case tok == "":
			return "unbalanced brackets"
		case closing[tok] != "":
			stack = append(stack, closing[tok])
		case tok == "}" || tok == ")" || tok == "]":
			if stack[len(stack)-1] != tok {
				return "mismatched brackets"
			}
			stack = stack[:len(stack)-1]
		}
	}
	return ""
}

// skipDefinition skips an operation's or fragment's name, variables,
// type condition and directives, then its selection set.
func (l *gqlLexer) skipDefinition() string {
	for {
		tok, err := l.next()
		switch {
		case err != "":
			return err
		case tok == "":
			return "a definition without a selection set"
		case tok == "{":
			return l.skipBalanced("{")
		case tok == "(" || tok == "[":
			if err := l.skipBalanced(tok); err != "" {
				return err
			}
		case tok == "}" || tok == ")" || tok == "]":
			return "mismatched brackets"
		}
	}
}
