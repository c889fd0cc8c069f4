//go:build cgo

package postgres

import (
	"fmt"
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// deepTexts are texts that nest n levels each way the grammar allows
// without limit (left-nested chains) or up to its own stack's limit.
func deepTexts(n int) map[string]string {
	return map[string]string{
		"plus":      "select 1" + strings.Repeat("+1", n),
		"concat":    "select 'a'" + strings.Repeat(" || 'a'", n),
		"typecast":  "select 1" + strings.Repeat("::int", n),
		"collate":   "select 'a'" + strings.Repeat(` collate "C"`, n),
		"at":        "select now()" + strings.Repeat(" at time zone 'UTC'", n),
		"join":      "select 1 from accounts a0" + strings.Repeat(" join accounts on true", n),
		"union":     "select 1" + strings.Repeat(" union select 1", n),
		"intersect": "select 1" + strings.Repeat(" intersect all select 1", n),
		"parens":    "select " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n),
		"calls":     "select " + strings.Repeat("abs(", n) + "1" + strings.Repeat(")", n),
		"subquery":  "select " + strings.Repeat("(select ", n) + "1" + strings.Repeat(")", n),
		"not":       "select " + strings.Repeat("not ", n) + "true",
		"minus":     "select " + strings.Repeat("- ", n) + "1",
		"case":      "select " + strings.Repeat("case when true and true then 1 else ", n) + "1" + strings.Repeat(" end", n),
		"array":     "select " + strings.Repeat("array[", n) + "1" + strings.Repeat("]", n),
		"mixed":     "select " + strings.Repeat("(1+", n) + "1" + strings.Repeat(")", n),
	}
}

// TestBoundRefusesDeepTexts: the texts that crash pg_query (25,000 terms
// of 1+1+… is the reported one) are refused before the parser, with a
// message naming the limit, and so is any text deeper than maxDepth.
func TestBoundRefusesDeepTexts(t *testing.T) {
	p := &Policy{}
	c := newChecker(p)
	for name, sql := range deepTexts(25000) {
		stmts := p.Check(sql, nil)
		if len(stmts) != 1 || !stmts[0].unparsed || !strings.Contains(stmts[0].Refusal, fmt.Sprintf("over the proxy's limit of %d", maxDepth)) {
			t.Errorf("%s (25,000 levels, %d bytes): %+v, want a refusal before parsing", name, len(sql), stmts[0].Refusal)
		}
		// Through the checker too: the audit's normalizer must not see it.
		if v := c.check(sql, nil); v.refusal == "" || !strings.HasPrefix(v.norm, "(a statement over the proxy's limits") {
			t.Errorf("%s: checker verdict %q, norm %q", name, v.refusal, v.norm)
		}
	}
	for name, sql := range deepTexts(maxDepth + 1) {
		if r := bound(sql); r == "" {
			t.Errorf("%s at %d levels: not refused (estimate %d)", name, maxDepth+1, depth(sql))
		}
	}
	big := "select 1 where 1 in (" + strings.Repeat("1,", maxStatementBytes/2) + "1)"
	if r := bound(big); !strings.Contains(r, "at most 1048576 bytes") {
		t.Errorf("a %d-byte text: %q, want the length limit named", len(big), r)
	}
}

// TestBoundAllowsWideTexts: texts that are long or have many operators,
// but are not deep, pass the bound, and so does nesting in literals and
// comments, which the parser does not nest.
func TestBoundAllowsWideTexts(t *testing.T) {
	for name, sql := range map[string]string{
		"in list":        "select * from accounts where id in (" + strings.Repeat("-1, ", 50000) + "1)",
		"or chain":       "select * from accounts where " + strings.Repeat("id = 1 or ", 5000) + "id = 2",
		"and chain":      "select * from accounts where " + strings.Repeat("id <> 1 and ", 5000) + "true",
		"wide select":    "select " + strings.Repeat("id + 1 * 2, ", 5000) + "1 from accounts",
		"values":         "values " + strings.Repeat("(1 + 1, 'x' || 'y'), ", 5000) + "(1, 'z')",
		"string":         "select '" + strings.Repeat("(+1", 20000) + "'",
		"e-string":       `select E'\'` + strings.Repeat("(+1", 20000) + `'`,
		"quoted name":    `select 1 as "` + strings.Repeat("(+1", 20000) + `"`,
		"line comment":   "select 1 -- " + strings.Repeat("(+1", 20000) + "\n",
		"block comment":  "select 1 /* /* */ " + strings.Repeat("(+1", 20000) + " */",
		"dollar quote":   "select $x$" + strings.Repeat("(+1$$", 20000) + "$x$",
		"statements":     strings.Repeat("select 1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1; ", 500),
		"nested 300":     deepTexts(300)["mixed"],
		"case and":       deepTexts(300)["case"],
		"timestamps":     "select * from events where at in (" + strings.Repeat("'2024-01-01 00:00:00+00', ", 5000) + "now())",
		"dollar in name": "select a$b$c, 1 from (select 1 as a$b$c) t",
	} {
		if r := bound(sql); r != "" {
			t.Errorf("%s (%d bytes): %s", name, len(sql), r)
		}
	}
}

// TestBoundScanner checks how the pre-scan reads literals, comments and
// words, by the estimate they give.
func TestBoundScanner(t *testing.T) {
	for _, tt := range []struct {
		sql  string
		want int
	}{
		{"select 1", 1},
		{"select 1+2", 2},
		{"select (1+2)", 3},
		{"select 1+2, 3+4", 2},
		{"select 1+2+3 and 4", 3},
		{"select '((('", 1},
		{"select 'it''s (' + 1", 2},
		{`select E'\'' + 1`, 2},
		{`select 'a\' + 1`, 2},                // standard conforming: the backslash is a character
		{`select xe'\' + 1`, 2},               // a word ending in e: a plain literal
		{`select e'\'' + ('`, 3},              // E-string with an escaped quote, then a bracket
		{`select "a""(" + 1`, 2},              // quoted name with a doubled quote
		{"select E'a'\n'\\' + ( '", 1},        // an E'' literal continued after a newline: escapes go on
		{"select E'a'  \n\t\n '\\' + ( '", 1}, // whitespace around the newline
		{"select E'a' -- c\n'\\' + ( '", 3},   // pg_query does not continue across a comment
		{"select E'a' '\\' + ( '", 3},         // no newline: a plain literal follows (a syntax error)
		{"select 'a'\n'\\' + ( '", 3},         // a plain literal's continuation stays plain
		{"select $$ ((( $$ + 1", 2},           // dollar quote
		{"select $a$ $$ ( $a$ + 1", 2},        // another tag inside
		{"select $1 + $2", 2},
		{"select a$$b + 1", 2}, // $ continues a word: no dollar quote
		{"select 1$$(((", 1},   // $ right after digits opens a dollar quote
		{"select 0$$ $$ + 1", 2},
		{"select 1e+5$$ ( $$ + 1", 2},
		{"select 0b1$$ + 1", 2},     // trailing junk (an error) that runs over the $
		{"select 1_$$ ( $$ + 1", 2}, // likewise (_ not between digits starts the junk), then ( and a dollar quote
		{"select 1 -- (((\n+ 1", 2},
		{"select 1 /* /* ( */ ( */ + 1", 2},
		{"select case when a and b then case when c or d then 1 end end", 3},
		{"select 1 union select 2 union select 3", 3},
		{"select 1; select 1 union select 2", 2},
		{"select * from a join b on x = y", 4}, // * is an operator character
		{"select x::int::text", 5},
		{"select not not true", 3},
	} {
		if got := depth(tt.sql); got != tt.want {
			t.Errorf("depth(%q) = %d, want %d", tt.sql, got, tt.want)
		}
	}
}

// TestDeepQueryThroughProxy sends the reported crash through a proxy, in
// both protocols: refused, and the proxy and the session live on.
func TestDeepQueryThroughProxy(t *testing.T) {
	srv := startPostgres(t)
	tp := serveProxy(t, srv, t.Context())
	ctx := t.Context()
	c := dialProxy(t, tp, "")
	sql := deepTexts(25000)["plus"]
	_, err := c.Exec(ctx, sql).ReadAll()
	wantRefused(t, "simple", "select 1+1+… (25,000 terms)", err)
	wantRefused(t, "extended", "select 1+1+… (25,000 terms)", c.ExecParams(ctx, sql, nil, nil, nil, nil).Read().Err)
	res, err := c.Exec(ctx, "select 41 + 1").ReadAll()
	if err != nil || string(res[0].Rows[0][0]) != "42" {
		t.Fatalf("after the deep query: %s", resultText(res, err))
	}
	c.Close(ctx)
	tp.settled(t)
	var refused []string
	for _, op := range tp.operations() {
		if op.Verdict == "refused" {
			refused = append(refused, op.Detail["statement"]+" | "+op.Detail["reason"])
		}
	}
	want := fmt.Sprintf("(a statement over the proxy's limits, %d bytes, not parsed) | the query nests too deeply to be checked: "+
		"an estimated 25001 levels of parentheses, operators, CASE, joins or set operations, over the proxy's limit of 1000", len(sql))
	if len(refused) != 2 || refused[0] != want || refused[1] != want {
		t.Errorf("audit of the refusals:\n got %q\nwant twice %q", refused, want)
	}
}

// treeDepth is how deeply messages nest in a parse tree.
func treeDepth(m protoreflect.Message) int {
	most := 0
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				most = max(most, treeDepth(l.Get(i).Message()))
			}
		case fd.Message() != nil && !fd.IsMap():
			most = max(most, treeDepth(v.Message()))
		}
		return true
	})
	return most + 1
}

// treeFactor bounds how many nested messages of a parse tree one level of
// the estimate may stand for (a scalar subquery, the costliest, is about
// seven: SubLink, SelectStmt, ResTarget and the Nodes between).
const treeFactor, treeSlack = 8, 16

// TestBoundEstimatesTrees checks the estimate against the trees pg_query
// builds for every deep shape at a depth it parses.
func TestBoundEstimatesTrees(t *testing.T) {
	for name, sql := range deepTexts(200) {
		tree, err := pg_query.Parse(sql)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d, est := treeDepth(tree.ProtoReflect()), depth(sql)
		if d > treeFactor*est+treeSlack {
			t.Errorf("%s: the tree nests %d messages, the estimate is %d levels", name, d, est)
		}
	}
}

// FuzzBound checks the bound's promises on any text. What passes it is
// parsed and normalized — a text the bound wrongly let through would crash
// the fuzzer, which reports it — and its tree nests no deeper than the
// estimate allows. And the pre-scan never takes for a literal or comment
// what pg_query's own lexer reads as code, which would hide nesting.
func FuzzBound(f *testing.F) {
	for _, s := range []string{"select 1+1+1", `select E'\'' + ('`, "select $a$ $$ $a$ + 1", "select 1 /* /* */ */ + 1",
		"select 'a''b' || (1)", `select "x""y" from t`, "select case when a and b then 1 end", "select a$$b, 1$$x$$", "select E'a'\n'\\' + ( '", "select E'a' -- c\n'\\' + ( ''",
		"select 1 union select 2 intersect select 3", "select 1 -- c\n+ 1", "select U&'\\0041' || x'1f'", "select 1::int[]",
		deepTexts(50)["plus"], deepTexts(50)["case"], deepTexts(20)["subquery"]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		if bound(sql) != "" {
			return
		}
		inLiteral := make([]bool, len(sql)+1)
		est := scanDepth(sql, func(start, end int) {
			for i := start; i < end; i++ {
				inLiteral[i] = true
			}
		})
		if scan, err := pg_query.Scan(sql); err == nil {
			for _, tok := range scan.Tokens {
				switch tok.Token {
				case pg_query.Token_SCONST, pg_query.Token_USCONST, pg_query.Token_BCONST, pg_query.Token_XCONST,
					pg_query.Token_IDENT, pg_query.Token_UIDENT, pg_query.Token_SQL_COMMENT, pg_query.Token_C_COMMENT:
					continue
				}
				if s := int(tok.Start); s < len(sql) && inLiteral[s] {
					t.Fatalf("%q: pg_query reads a %v token at %d (%q), the pre-scan a literal or comment", sql, tok.Token, s, sql[s:tok.End])
				}
			}
		}
		tree, err := pg_query.Parse(sql)
		if err != nil {
			return
		}
		normalize(sql)
		if d := treeDepth(tree.ProtoReflect()); d > treeFactor*est+treeSlack {
			t.Fatalf("%q: the tree nests %d messages, the estimate is %d levels", sql, d, est)
		}
	})
}

// BenchmarkBound measures the pre-scan, which runs on every verdict-cache
// miss before the parser: a pgbench -S query, and a 1 MiB IN list.
func BenchmarkBound(b *testing.B) {
	for name, sql := range map[string]string{
		"pgbench": "SELECT abalance FROM pgbench_accounts WHERE aid = 471231;",
		"1MiB":    "select * from accounts where id in (" + strings.Repeat("123456, ", maxStatementBytes/8-10) + "1)",
	} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(sql)))
			for b.Loop() {
				if bound(sql) != "" {
					b.Fatal("refused")
				}
			}
		})
	}
}

// BenchmarkParse is what the pre-scan is measured against: the parser on
// the pgbench -S query.
func BenchmarkParse(b *testing.B) {
	sql := "SELECT abalance FROM pgbench_accounts WHERE aid = 471231;"
	for b.Loop() {
		if _, err := pg_query.Parse(sql); err != nil {
			b.Fatal(err)
		}
	}
}
