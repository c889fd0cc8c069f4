//go:build cgo

package postgres

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testAllowFunctions are the functions the tests' proxies allow:
// label, a read, and probe_write, a STABLE function that writes — an
// allowlist that trusts it is the misconfiguration the server's read-only
// mode (layer 4) must catch.
var testAllowFunctions = []string{"public.label", "public.probe_write"}

// corpusPolicy is the policy with the catalog facts of testdata/setup.sql:
// its functions outside pg_catalog.
func corpusPolicy() *Policy {
	p := newPolicy(testAllowFunctions)
	for _, f := range []string{"bump", "touch", "label", "wipe", "probe_write", "sneaky", "crosstab", "connectby", "dblink", "dblink_exec",
		"op_writer", "to_holder", "diff_writer", "acct_writer"} {
		p.learnFunc("public", f, false)
	}
	p.learnFunc("shady", "initcap", true)
	p.trace([]traceEdge{
		{obj: "o1", name: "==>", kind: 'f', ref: "public.op_writer"},
		{obj: "c1", name: "holder", kind: 'f', ref: "public.to_holder"},
		{obj: "t1", name: "checked_int", kind: 'f', ref: "public.op_writer"},
		{obj: "r1", name: "sneaky_view", kind: 'f', ref: "public.sneaky"},
		{obj: "r2", name: "op_view", kind: 'x', ref: "o1"},
		{obj: "r3", name: "clean_view", kind: 'f', ref: "pg_catalog.upper"},
	})
	return p
}

// uncached is the verdict the policy gives sql without any cache.
func uncached(p *Policy, sql string, prepared map[string]bool) *verdict {
	stmts, _ := p.check(sql, prepared)
	return judge(sql, stmts)
}

func verdictText(v *verdict) string {
	return fmt.Sprintf("refusal=%q norms=%q norm=%q", v.refusal, v.norms, v.norm)
}

// TestCheckerMatchesPolicy judges every corpus text three times — a miss,
// a hit by exact text and, for texts with integer literals, a hit by
// shape with other numbers — and wants the uncached verdict each time.
func TestCheckerMatchesPolicy(t *testing.T) {
	p := corpusPolicy()
	c := newChecker(p)
	texts := append(corpus(t, "reads.sql"), corpus(t, "writes.sql")...)
	for _, sql := range texts {
		want := verdictText(uncached(p, sql, nil))
		for pass := range 2 {
			if got := verdictText(c.check(sql, nil)); got != want {
				t.Errorf("pass %d of %q:\n got %s\nwant %s", pass, sql, got, want)
			}
		}
	}
	shaped := 0
	for _, sql := range texts {
		for _, other := range renumbered(sql) {
			want := verdictText(uncached(p, other, nil))
			if got := verdictText(c.check(other, nil)); got != want {
				t.Errorf("%q after %q:\n got %s\nwant %s", other, sql, got, want)
			}
			shaped++
		}
	}
	if shaped < 20 || c.shapes.len() < 5 {
		t.Errorf("%d renumbered texts, %d shapes cached: the corpus should exercise the shape cache", shaped, c.shapes.len())
	}
}

// renumbered returns sql with its shape's integer literals replaced by
// other numbers, or nothing when sql has no shape.
func renumbered(sql string) []string {
	sh, ok := shapeOf(sql)
	if !ok {
		return nil
	}
	var out []string
	for _, n := range []int{0, 7, 42, 999999999} {
		out = append(out, strings.ReplaceAll(sh.key, "\x00", strconv.Itoa(n)))
	}
	return out
}

func TestCheckerCatalogFacts(t *testing.T) {
	facts := func(allowed bool) *Policy {
		p := newPolicy(nil)
		if allowed {
			p = newPolicy([]string{"public.label"})
		}
		p.learnFunc("public", "label", false)
		return p
	}
	c := newChecker(facts(true))
	for _, sql := range []string{"select label(name) from accounts", "select label(name) from accounts where id = 4"} {
		if v := c.check(sql, nil); v.refusal != "" {
			t.Fatalf("%q with label allowed: %s", sql, v.refusal)
		}
	}
	if !c.sameFacts(facts(true)) || c.sameFacts(facts(false)) {
		t.Fatal("sameFacts does not compare the allowed functions")
	}
	other := facts(true)
	other.learnFunc("s2", "label", false)
	if c.sameFacts(other) {
		t.Fatal("sameFacts does not compare the functions outside pg_catalog")
	}
	other = facts(true)
	other.learnFunc("public", "lower", true)
	if c.sameFacts(other) {
		t.Fatal("sameFacts does not compare the functions that shadow built-ins")
	}
	other = facts(true)
	other.ceilings["statement_timeout"] = 1000
	if c.sameFacts(other) {
		t.Fatal("sameFacts does not compare the timeouts' defaults")
	}
	// The proxy replaces its checker when a session learns other facts.
	p := &Proxy{}
	p.learn(facts(true))
	first := p.checker()
	p.learn(facts(true))
	if p.checker() != first {
		t.Fatal("the same facts replaced the checker")
	}
	p.learn(other)
	if p.checker() == first {
		t.Fatal("other facts kept the checker")
	}
	// A second function named label, which the configuration does not
	// name, makes the unqualified call refused: it could resolve to it.
	shadow := facts(true)
	shadow.learnFunc("s2", "label", false)
	p.learn(shadow)
	for _, sql := range []string{"select label(name) from accounts", "select label(name) from accounts where id = 5"} {
		if v := p.checker().check(sql, nil); !strings.Contains(v.refusal, "function label is refused") {
			t.Errorf("%q after s2.label appeared: %q", sql, v.refusal)
		}
	}
	if v := p.checker().check("select public.label(name) from accounts", nil); v.refusal != "" {
		t.Errorf("public.label, qualified, after s2.label appeared: %q", v.refusal)
	}
}

func TestCheckerSessionDependent(t *testing.T) {
	c := newChecker(&Policy{})
	if v := c.check("execute p", nil); v.refusal == "" {
		t.Fatal("EXECUTE of an unprepared name was allowed")
	}
	if v := c.check("execute p", map[string]bool{"p": true}); v.refusal != "" {
		t.Fatalf("EXECUTE of a prepared read: %s", v.refusal)
	}
	if v := c.check("execute p", nil); v.refusal == "" {
		t.Fatal("a verdict on EXECUTE was cached for another session")
	}
	if c.exact.len() != 0 {
		t.Errorf("%d verdicts on EXECUTE cached", c.exact.len())
	}
}

func TestShapeOf(t *testing.T) {
	tests := []struct {
		name, sql, key, template string
		ok                       bool
	}{
		{"pgbench", "SELECT abalance FROM pgbench_accounts WHERE aid = 471231;",
			"SELECT abalance FROM pgbench_accounts WHERE aid = \x00;", "SELECT abalance FROM pgbench_accounts WHERE aid = $1;", true},
		{"several", "select * from t where a in (1,2, 3) limit 10",
			"select * from t where a in (\x00,\x00, \x00) limit \x00", "select * from t where a in ($1,$2, $3) limit $4", true},
		{"names and decimals stay", "select t1.a, 1.5, .5, 5., 1e3, 0x1f, 1_000, x2 from t1 where b = 2",
			"select t1.a, 1.5, .5, 5., 1e3, 0x1f, 1_000, x2 from t1 where b = \x00", "select t1.a, 1.5, .5, 5., 1e3, 0x1f, 1_000, x2 from t1 where b = $1", true},
		{"quotes stay", `select '1', "2", 'it''s 3', 4`, "select '1', \"2\", 'it''s 3', \x00", `select '1', "2", 'it''s 3', $1`, true},
		{"ten digits stay", "select 1234567890", "", "", false},
		{"no literal", "select a from t", "", "", false},
		{"parameter", "select $1 + 1", "", "", false},
		{"dollar quote", "select $$5$$", "", "", false},
		{"line comment", "select 1 -- 2", "", "", false},
		{"block comment", "select /* 2 */ 1", "", "", false},
		{"backslash", `select E'\'', 1`, "", "", false},
		{"open quote", "select 'x, 1", "", "", false},
		{"multibyte name", "select é1 from t", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sh, ok := shapeOf(tt.sql)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(tt.key+"|"+tt.template, sh.key+"|"+sh.template); ok && diff != "" {
				t.Errorf("key|template (-want +got):\n%s", diff)
			}
		})
	}
}

// TestShapeCovers checks that only verdicts whose every masked literal is
// a constant of an expression are shared by shape.
func TestShapeCovers(t *testing.T) {
	p := &Policy{}
	for _, tt := range []struct {
		sql    string
		covers bool
	}{
		{"select abalance from pgbench_accounts where aid = 3", true},
		{"select 1; select 2", false},                        // two statements
		{"select * from accounts order by 1 limit 2", false}, // a column position is no constant
		{"select '1'::varchar(10), 5", false},                // a type modifier
		{"select -5", false},                                 // normalized with its sign
		{"fetch 5 from c", false},
		{"delete from accounts where id = 1", false}, // refused
	} {
		sh, ok := shapeOf(tt.sql)
		if !ok {
			t.Fatalf("%q has no shape", tt.sql)
		}
		stmts, _ := p.check(tt.sql, nil)
		if got := sh.covers(judge(tt.sql, stmts), stmts); got != tt.covers {
			t.Errorf("%q: covers = %v, want %v", tt.sql, got, tt.covers)
		}
	}
}

func TestGenerationsBounded(t *testing.T) {
	g := newGenerations()
	v := &verdict{}
	for i := range 3 * maxCachedEntries {
		g.put(strconv.Itoa(i), v)
	}
	if n := g.len(); n > 2*maxCachedEntries {
		t.Errorf("%d entries kept, want at most %d", n, 2*maxCachedEntries)
	}
	if g.get(strconv.Itoa(3*maxCachedEntries-1)) == nil {
		t.Error("the latest entry is gone")
	}
	big := strings.Repeat("x", maxCachedBytes/2+1)
	g.put("a"+big, v)
	g.put("b"+big, v)
	if g.curBytes > maxCachedBytes {
		t.Errorf("the current generation holds %d bytes, want at most %d", g.curBytes, maxCachedBytes)
	}
}

// FuzzShape checks the shape cache's promise on any text: when a verdict
// is shared by shape, every text of the shape gets that verdict and that
// normalized text from the uncached policy.
func FuzzShape(f *testing.F) {
	for _, s := range []string{"select 1", "select * from accounts where id = 7 limit 3", "select label(name) from accounts where id = 2",
		"select bump() where 1 = 2", "select float(5) '1'", "select interval '1' second(3)", "fetch 5 from c",
		"select '1'::varchar(10), 5", "begin read only; select 1", "select nextval('s') + 1"} {
		f.Add(s, uint32(12345))
	}
	p := corpusPolicy()
	f.Fuzz(func(t *testing.T, sql string, n uint32) {
		sh, ok := shapeOf(sql)
		if !ok {
			return
		}
		stmts, deps := p.check(sql, nil)
		v := judge(sql, stmts)
		if deps.session || deps.values || !sh.covers(v, stmts) {
			return
		}
		other := strings.ReplaceAll(sh.key, "\x00", strconv.FormatUint(uint64(n%1e9), 10))
		if got, want := verdictText(v), verdictText(uncached(p, other, nil)); got != want {
			t.Fatalf("%q shares its verdict with %q:\n got %s\nwant %s", sql, other, got, want)
		}
	})
}

// BenchmarkCheck is the policy's cost per statement on a verdict-cache
// miss (the parse and the walk) and on a hit, for pgbench -S's query and
// a catalog query of psql's, with the corpus's catalog facts.
func BenchmarkCheck(b *testing.B) {
	p := corpusPolicy()
	for _, sql := range []string{"SELECT abalance FROM pgbench_accounts WHERE aid = 471231;",
		"SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " +
			"WHERE c.relname OPERATOR(pg_catalog.~) '^(accounts)$' COLLATE pg_catalog.default AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 2, 3"} {
		b.Run("miss/"+sql[:12], func(b *testing.B) {
			for b.Loop() {
				p.check(sql, nil)
			}
		})
		c := newChecker(p)
		c.check(sql, nil)
		b.Run("hit/"+sql[:12], func(b *testing.B) {
			for b.Loop() {
				c.check(sql, nil)
			}
		})
	}
}
