//go:build cgo

package postgres

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestCachedVerdictsThroughSessions runs the read and write corpora through
// the proxy twice, the second time on another session, where every verdict
// comes from the cache: clients see the same, and the audit records the
// same.
func TestCachedVerdictsThroughSessions(t *testing.T) {
	srv := startPostgres(t)
	tp := serveProxy(t, srv, t.Context())
	texts := append(corpus(t, "reads.sql"), corpus(t, "writes.sql")...)
	pass := func() (string, int) {
		ctx := t.Context()
		c, err := pgconn.Connect(ctx, tp.connString())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		var b strings.Builder
		for _, sql := range texts {
			b.WriteString(resultText(c.Exec(ctx, sql).ReadAll()))
			c.Exec(ctx, "rollback").ReadAll()
			if !strings.Contains(sql, ";") {
				b.WriteString(resultText([]*pgconn.Result{c.ExecParams(ctx, sql, nil, nil, nil, nil).Read()}, nil))
			}
		}
		return b.String(), tp.proxy.checker().cached()
	}
	audit := func(from int) []string {
		tp.settled(t)
		var out []string
		for _, op := range tp.operations()[from:] {
			out = append(out, fmt.Sprintf("%s %s rows=%s reason=%s", op.Verdict, op.Detail["statement"], op.Detail["rows"], op.Detail["reason"]))
		}
		return out
	}
	first, cached := pass()
	if cached < len(texts)/2 {
		t.Fatalf("%d verdicts cached after %d texts", cached, len(texts))
	}
	firstAudit := audit(0)
	second, _ := pass()
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("the second pass, from the cache, differs (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(firstAudit, audit(len(firstAudit))); diff != "" {
		t.Errorf("the audit of the second pass differs (-first +second):\n%s", diff)
	}
	if len(firstAudit) < len(texts) {
		t.Errorf("%d audit records for %d texts", len(firstAudit), len(texts))
	}
}

// TestCatalogRefreshRefuses adds, upstream, a second function of the name
// of an allowed one, whose unqualified calls are allowed and cached: once
// a session has learned that, the proxy refuses the unqualified call on
// every session, by exact text and by shape (it could resolve to the new
// function), and still allows the qualified one.
func TestCatalogRefreshRefuses(t *testing.T) {
	srv := startPostgres(t)
	tp := serveProxyWith(t, t.Context(), Options{Upstream: srv.addr, User: "postgres", Password: testPassword, Database: "postgres",
		LoginCanWrite: true, AllowFunctions: append([]string{"public.doubled"}, testAllowFunctions...)})
	ctx := t.Context()
	admin, err := pgconn.Connect(ctx, srv.connString())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	exec := func(c *pgconn.PgConn, sql string) error {
		_, err := c.Exec(ctx, sql).ReadAll()
		return err
	}
	if err := exec(admin, "create function doubled(int) returns int language sql stable as $$ select $1 * 2 $$"); err != nil {
		t.Fatal(err)
	}
	// Dropped before admin closes and while ctx lives: a t.Cleanup would
	// run after both, drop nothing, and fail the test's next run.
	defer exec(admin, "drop function if exists doubled(int); drop schema if exists shadowing cascade")
	old, err := pgconn.Connect(ctx, tp.connString())
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close(ctx)
	for _, sql := range []string{"select doubled(21)", "select doubled(4)", "select doubled(21)"} {
		if err := exec(old, sql); err != nil {
			t.Fatalf("%s while doubled is allowed: %v", sql, err)
		}
	}
	if err := exec(admin, "create schema shadowing; create function shadowing.doubled(int) returns int language sql as $$ select $1 $$"); err != nil {
		t.Fatal(err)
	}
	fresh, err := pgconn.Connect(ctx, tp.connString()) // learns the catalog anew
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close(ctx)
	for _, c := range []*pgconn.PgConn{old, fresh} {
		for _, sql := range []string{"select doubled(21)", "select doubled(5)", "select shadowing.doubled(5)"} {
			err := exec(c, sql)
			wantRefused(t, "after the refresh", sql, err)
			if err != nil && !strings.Contains(err.Error(), "doubled is refused") {
				t.Errorf("%s: %v, want the refusal of doubled", sql, err)
			}
		}
		if err := exec(c, "select public.doubled(5)"); err != nil {
			t.Errorf("public.doubled, qualified, after the refresh: %v", err)
		}
	}
}
