//go:build cgo

package postgres

import (
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
)

// FuzzCheck checks the policy's promise on any text: what passes parses,
// and no data-modifying statement, locking clause, SELECT INTO or denied
// function is anywhere in its tree.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"select 1", "with x as (delete from t returning *) select * from x",
		"commit; delete from t", "select nextval('s')", "explain analyze select 1", "copy (select 1) to stdout",
		"begin read only", "set transaction read write", "prepare p as select $1::int"} {
		f.Add(s)
	}
	p := corpusPolicy()
	f.Fuzz(func(t *testing.T, sql string) {
		if Refusal(p.Check(sql, map[string]bool{})) != "" {
			return
		}
		tree, err := pg_query.Parse(sql)
		if err != nil {
			t.Fatalf("%q passed but does not parse: %v", sql, err)
		}
		for _, raw := range tree.Stmts {
			if r := walk(raw.ProtoReflect(), func(m proto.Message) string {
				switch v := m.(type) {
				case *pg_query.InsertStmt, *pg_query.UpdateStmt, *pg_query.DeleteStmt, *pg_query.MergeStmt,
					*pg_query.CreateStmt, *pg_query.DropStmt, *pg_query.DoStmt, *pg_query.CallStmt:
					return "write"
				case *pg_query.SelectStmt:
					if v.IntoClause != nil || len(v.LockingClause) > 0 {
						return "into or lock"
					}
				case *pg_query.FuncCall:
					return p.funcRefusal(v)
				}
				return ""
			}); r != "" {
				t.Fatalf("%q passed but has %s", sql, r)
			}
		}
	})
}
