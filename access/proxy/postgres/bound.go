//go:build cgo

package postgres

import "fmt"

// Limits on what reaches the parser. pg_query builds and serializes its
// parse tree recursively in C: a text nesting some twenty thousand levels
// deep (select 1+1+…+1 with 25,000 terms, 50 KB) overflows the stack and
// takes the whole process down, a crash no Go code can recover from. So a
// cheap scan in Go bounds every text first, and a text over a limit is
// refused without being parsed, normalized or otherwise handed to cgo.
//
// maxDepth is far below where pg_query crashes (about 20,000 levels of a
// left-nested expression on an 8 MB stack, fewer on a smaller one) and
// where its Go side gives up (protobuf's 10,000 nested messages, some
// 5,000 levels of +), and far above what written or generated queries
// nest. maxStatementBytes bounds the parser's memory and time.
const (
	maxStatementBytes = 1 << 20
	maxDepth          = 1000
)

// bound says why sql may not be parsed, or "".
func bound(sql string) string {
	if len(sql) > maxStatementBytes {
		return fmt.Sprintf("the query is %d bytes; the proxy parses queries of at most %d bytes (1 MiB)", len(sql), maxStatementBytes)
	}
	if d := depth(sql); d > maxDepth {
		return fmt.Sprintf("the query nests too deeply to be checked: an estimated %d levels of parentheses, operators, "+
			"CASE, joins or set operations, over the proxy's limit of %d", d, maxDepth)
	}
	return ""
}

// depth estimates from above how deeply the parse tree of sql nests,
// lexing it as the server does with standard_conforming_strings on (the
// proxy pins it) so that nothing in string literals, quoted names or
// comments counts.
//
// Brackets — ( ), [ ] and CASE … END — open a level each. Within a level,
// each operator character (the colons of a typecast too) and each nesting
// keyword (NOT, IS, LIKE, COLLATE, AT, …) may nest the expression once
// more, until a comma, AND, OR or semicolon ends it: list items are
// siblings, the grammar flattens chains of AND and of OR, and AND and OR
// bind looser than everything counted. Joins and set operations (UNION,
// INTERSECT, EXCEPT) nest the query once more each, until the level closes
// or a semicolon ends the statement. The estimate is the deepest that the
// open levels and their counts reach together. Left-nested chains (1+1+…,
// x::t::t…, joins, unions), which the parser builds without limit, are
// counted exactly; right-nested ones the parser's own stack limits.
//
// The scanner must never see code as a literal or comment where pg_query
// does not — that would hide nesting — so it follows pg_query's lexer (the
// server's, as of PostgreSQL 17) for everything that opens or closes one: '…' with doubled quotes inside;
// E'…' (E not ending a longer word) where a backslash escapes the next
// byte, and so in the '…' continuing it after a newline; "…"; $tag$…$tag$ (a $ that does not continue a word, nor the
// junk after a number); -- to the end of the line and nested /* */.
// FuzzBound holds it to pg_query's lexer and its estimate to the depth of
// pg_query's trees.
func depth(sql string) int { return scanDepth(sql, nil) }

// scanDepth is depth that also reports each literal, quoted name and
// comment it skips, as the byte range [start, end), to literal if non-nil.
func scanDepth(sql string, literal func(start, end int)) int {
	skipped := func(start, end int) int {
		if literal != nil {
			literal(start, end)
		}
		return end
	}
	type level struct {
		expr, query int
		isCase      bool
	}
	stack := []level{{}}
	cur, most := 1, 1
	top := func() *level { return &stack[len(stack)-1] }
	grow := func(n int) {
		cur += n
		most = max(most, cur)
	}
	open := func(isCase bool) {
		stack = append(stack, level{isCase: isCase})
		grow(1)
	}
	closeLevel := func() {
		cur -= top().expr + top().query + 1
		stack = stack[:len(stack)-1]
	}
	endExpr := func() {
		cur -= top().expr
		top().expr = 0
	}
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			j := i
			for j < len(sql) && sql[j] != '\n' && sql[j] != '\r' {
				j++
			}
			i = skipped(i, j)
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			i = skipped(i, blockCommentEnd(sql, i))
		case c == '\'':
			i = skipped(i, quoteEnd(sql, i+1, '\'', false))
		case c == '"':
			i = skipped(i, quoteEnd(sql, i+1, '"', false))
		case c == '$':
			if j := dollarEnd(sql, i); j > i+1 && !isDigit(sql[i+1]) {
				i = skipped(i, j)
			} else {
				i = j
			}
		case c == '(' || c == '[':
			open(false)
			i++
		case c == ')' || c == ']':
			for len(stack) > 1 && top().isCase {
				closeLevel() // an unclosed CASE: a syntax error anyway
			}
			if len(stack) > 1 {
				closeLevel()
			}
			i++
		case c == ',':
			endExpr()
			i++
		case c == ';':
			endExpr()
			cur -= top().query
			top().query = 0
			i++
		case isOpChar(c):
			top().expr++
			grow(1)
			i++
		case isDigit(c) || (c == '.' && i+1 < len(sql) && isDigit(sql[i+1])):
			i = numberEnd(sql, i)
		case identStart(c):
			j := i
			for j < len(sql) && identCont(sql[j]) {
				j++
			}
			word := sql[i:j]
			switch {
			case j < len(sql) && sql[j] == '\'' && (word == "e" || word == "E"):
				j = skipped(i, eStringEnd(sql, j+1))
			case isKeyword(word, "and") || isKeyword(word, "or"):
				endExpr()
			case isKeyword(word, "case"):
				open(true)
			case isKeyword(word, "end"):
				if top().isCase {
					closeLevel()
				}
			case isKeyword(word, "union") || isKeyword(word, "intersect") || isKeyword(word, "except") || isKeyword(word, "join"):
				top().query++
				grow(1)
			case nestingKeyword(word):
				top().expr++
				grow(1)
			}
			i = j
		default:
			i++ // other punctuation: . and the like
		}
	}
	return most
}

func nestingKeyword(word string) bool {
	for _, k := range nestingKeywords {
		if isKeyword(word, k) {
			return true
		}
	}
	return false
}

// nestingKeywords may each nest an expression once more: prefix, infix
// and postfix keyword operators, and AT and COLLATE, which apply to an
// expression.
var nestingKeywords = []string{"not", "is", "isnull", "notnull", "like", "ilike", "similar", "between",
	"in", "collate", "at", "escape", "overlaps", "exists", "array", "any", "all", "some"}

// isKeyword compares a word with a lower-case keyword, ignoring ASCII case.
func isKeyword(word, k string) bool {
	if len(word) != len(k) {
		return false
	}
	for i := 0; i < len(word); i++ {
		c := word[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != k[i] {
			return false
		}
	}
	return true
}

// isOpChar reports the characters PostgreSQL builds operators from, and
// the colon of a typecast.
func isOpChar(c byte) bool {
	switch c {
	case '~', '!', '@', '#', '^', '&', '|', '`', '?', '+', '-', '*', '/', '%', '<', '>', '=', ':':
		return true
	}
	return false
}

// identStart and identCont are the lexer's: letters, _, any byte of a
// multi-byte character, and after the first, digits and $.
func identStart(c byte) bool {
	return c == '_' || c >= 0x80 || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func identCont(c byte) bool { return identStart(c) || isDigit(c) || c == '$' }

// quoteEnd returns the index after the quote closing a literal opened
// before start: a doubled quote stays inside, and with backslash (an E-string
// literal) a backslash escapes the next byte. An unclosed literal runs to
// the end.
func quoteEnd(sql string, start int, q byte, backslash bool) int {
	for i := start; i < len(sql); i++ {
		switch sql[i] {
		case '\\':
			if backslash {
				i++
			}
		case q:
			if i+1 < len(sql) && sql[i+1] == q {
				i++
				continue
			}
			return i + 1
		}
	}
	return len(sql)
}

// eStringEnd returns the index after an E” literal opened before start,
// with its continuations: pg_query reads 'more' after an E” literal and
// whitespace holding a newline as more of the same literal, backslash
// escapes and all. (A PostgreSQL 15 server also continues across --
// comments there; pg_query does not, and then sees two literals in a row,
// a syntax error, so that difference never reaches a parse tree.)
func eStringEnd(sql string, start int) int {
	end := quoteEnd(sql, start, '\'', true)
	for {
		k, newline := end, false
		for k < len(sql) && (sql[k] == ' ' || sql[k] == '\t' || sql[k] == '\n' || sql[k] == '\r' || sql[k] == '\f' || sql[k] == '\v') {
			newline = newline || sql[k] == '\n' || sql[k] == '\r'
			k++
		}
		if !newline || k >= len(sql) || sql[k] != '\'' {
			return end
		}
		end = quoteEnd(sql, k+1, '\'', true)
	}
}

// blockCommentEnd returns the index after the comment opened at start,
// counting nested /* */ as the server does.
func blockCommentEnd(sql string, start int) int {
	nest := 0
	for i := start; i+1 < len(sql); i++ {
		switch {
		case sql[i] == '/' && sql[i+1] == '*':
			nest++
			i++
		case sql[i] == '*' && sql[i+1] == '/':
			nest--
			i++
			if nest == 0 {
				return i + 1
			}
		}
	}
	return len(sql)
}

// dollarEnd returns the index after the token starting with the $ at
// start: a dollar-quoted literal $tag$…$tag$, a parameter $n, or the $
// alone. (A $ inside a word is part of the word and never gets here.)
func dollarEnd(sql string, start int) int {
	i := start + 1
	if i < len(sql) && isDigit(sql[i]) {
		for i < len(sql) && isDigit(sql[i]) {
			i++
		}
		return i
	}
	if i < len(sql) && (sql[i] == '_' || sql[i] >= 0x80 || ('a' <= sql[i] && sql[i] <= 'z') || ('A' <= sql[i] && sql[i] <= 'Z')) {
		for i < len(sql) && (identStart(sql[i]) || isDigit(sql[i])) {
			i++
		}
	}
	if i >= len(sql) || sql[i] != '$' {
		return start + 1 // no delimiter: the $ alone
	}
	delim := sql[start : i+1]
	for j := i + 1; j+len(delim) <= len(sql); j++ {
		if sql[j:j+len(delim)] == delim {
			return j + len(delim)
		}
	}
	return len(sql)
}

// numberEnd returns the index after the numeric token at start, as the
// server's lexer reads it: digits, points and underscores between digits;
// a signed exponent; then, if a letter follows (an unsigned exponent, the
// digits of 0x1f, or trailing junk, an error), the word it starts, $ and
// all. A $ right after the digits is no part of it: 0$$…$$ is a number
// and a dollar-quoted literal.
func numberEnd(sql string, start int) int {
	i := start
	digits := func() {
		for i < len(sql) && (isDigit(sql[i]) || sql[i] == '.' || (sql[i] == '_' && i+1 < len(sql) && isDigit(sql[i+1]))) {
			i++
		}
	}
	digits()
	if i+2 < len(sql) && (sql[i] == 'e' || sql[i] == 'E') && (sql[i+1] == '+' || sql[i+1] == '-') && isDigit(sql[i+2]) {
		i += 2
		digits()
	}
	if i < len(sql) && identStart(sql[i]) {
		for i < len(sql) && identCont(sql[i]) {
			i++
		}
	}
	return i
}
