//go:build cgo

package postgres

import (
	"maps"
	"strconv"
	"sync"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// Cache bounds: a generation holds at most maxCachedEntries verdicts or
// maxCachedBytes of query text; a text longer than maxCachedText is
// judged every time.
const (
	maxCachedEntries = 8192
	maxCachedBytes   = 4 << 20
	maxCachedText    = 16 << 10
)

// verdict is the judgment of one query text and what the audit says of it.
type verdict struct {
	// refusal is the first statement's refusal, or "" if all may run.
	refusal string
	// norms are the statements' texts with constants as $n, for the audit
	// of allowed statements; one per statement.
	norms []string
	// norm is the whole text normalized, for the audit of a refusal.
	norm string
	// names are what the allowed statements do to the session's
	// prepared-statement names, in order.
	names []nameOp
}

// checker judges query texts with a Policy and remembers its verdicts. A
// verdict depends on the text and on the policy's catalog facts only —
// EXECUTE, which depends on the session, is never cached — so a checker
// is shared by all sessions of a proxy and replaced, cache and all, when
// the catalog facts change.
type checker struct {
	policy *Policy // immutable

	mu sync.Mutex
	// exact maps a query text, byte for byte, to its verdict; shapes maps
	// the shape of a text whose integer literals may vary (see shape.go)
	// to the verdict shared by every text of that shape. Each is two
	// generations: a hit in old moves to cur; when cur is full, cur
	// becomes old and the former old is dropped. Guarded by mu.
	exact, shapes generations
}

func newChecker(p *Policy) *checker {
	return &checker{policy: p, exact: newGenerations(), shapes: newGenerations()}
}

// check judges sql; prepared is the session's prepared-statement names.
func (c *checker) check(sql string, prepared map[string]bool) *verdict {
	c.mu.Lock()
	v := c.exact.get(sql)
	c.mu.Unlock()
	if v != nil {
		return v
	}
	sh, shaped := shapeOf(sql)
	if shaped {
		c.mu.Lock()
		v = c.shapes.get(sh.key)
		c.mu.Unlock()
		if v != nil {
			return v
		}
	}
	stmts, deps := c.policy.check(sql, prepared)
	v = judge(sql, stmts)
	if deps.session || len(sql) > maxCachedText {
		return v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.exact.put(sql, v)
	if shaped && !deps.values && sh.covers(v, stmts) {
		c.shapes.put(sh.key, v)
	}
	return v
}

// judge makes the verdict of stmts, the statements of sql.
func judge(sql string, stmts []Statement) *verdict {
	v := &verdict{refusal: Refusal(stmts)}
	if len(stmts) == 1 && stmts[0].unparsed {
		// Too big for the parser, and so for the normalizer.
		v.norm = "(a statement over the proxy's limits, " + strconv.Itoa(len(sql)) + " bytes, not parsed)"
		return v
	}
	if v.refusal != "" {
		v.norm = normalize(sql)
		return v
	}
	v.norms = make([]string, len(stmts))
	for i, st := range stmts {
		v.norms[i] = normalize(st.SQL)
		if st.names != nil {
			v.names = append(v.names, *st.names)
		}
	}
	return v
}

// normalize replaces a statement's constants with $n, so that secrets in
// literals stay out of the audit trail.
func normalize(sql string) string {
	norm, err := pg_query.Normalize(sql)
	if err != nil {
		return "(unparsable statement, " + strconv.Itoa(len(sql)) + " bytes)"
	}
	return norm
}

// cached is how many texts have their verdicts cached.
func (c *checker) cached() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exact.len()
}

// sameFacts reports whether c was made from the same catalog facts as p.
func (c *checker) sameFacts(p *Policy) bool {
	return maps.Equal(c.policy.userFuncs, p.userFuncs) && maps.Equal(c.policy.shadowed, p.shadowed) && maps.Equal(c.policy.catalogAdded, p.catalogAdded) &&
		maps.Equal(c.policy.allow, p.allow) && maps.Equal(c.policy.ceilings, p.ceilings) && c.policy.traced.equal(p.traced)
}

// generations is a size-capped map that keeps recently used entries: an
// approximation of LRU at the cost of one map operation per hit.
type generations struct {
	cur, old map[string]*verdict
	curBytes int
}

func newGenerations() generations {
	return generations{cur: map[string]*verdict{}, old: map[string]*verdict{}}
}

func (g *generations) get(k string) *verdict {
	if v, ok := g.cur[k]; ok {
		return v
	}
	v, ok := g.old[k]
	if ok {
		delete(g.old, k)
		g.put(k, v)
	}
	return v
}

func (g *generations) put(k string, v *verdict) {
	if len(g.cur) >= maxCachedEntries || g.curBytes+len(k) > maxCachedBytes {
		g.old, g.cur, g.curBytes = g.cur, make(map[string]*verdict, len(g.cur)), 0
	}
	if _, ok := g.cur[k]; !ok {
		g.curBytes += len(k)
	}
	g.cur[k] = v
}

func (g *generations) len() int { return len(g.cur) + len(g.old) }
