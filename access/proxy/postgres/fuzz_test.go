//go:build cgo

package postgres

import (
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// FuzzCheck checks the policy's promise on any text: what passes parses,
// and no data-modifying statement, locking clause, SELECT INTO, refused
// function, tainted relation, type or cast target, or tainted operator
// name (any name node outside constants and column references) is
// anywhere in its tree.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"select 1", "with x as (delete from t returning *) select * from x",
		"commit; delete from t", "select nextval('s')", "explain analyze select 1", "copy (select 1) to stdout",
		"begin read only", "set transaction read write", "prepare p as select $1::int", "select 1 ==> 2",
		"select * from sneaky_view", "select 5::checked_int", "select 1::holder", "select * from clean_view",
		"select 1 where 1 in (select 1)", "select a.bump from accounts a"} {
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
				case *pg_query.RangeVar:
					if _, ok := p.traced.rels[v.Relname]; ok {
						return "tainted relation " + v.Relname
					}
				case *pg_query.TypeName:
					name := v.Names[len(v.Names)-1].GetString_().GetSval()
					if p.traced.types[name] != "" || p.traced.casts[name] != "" {
						return "tainted type " + name
					}
				}
				return ""
			}); r != "" {
				t.Fatalf("%q passed but has %s", sql, r)
			}
			if op := taintedOpName(raw.ProtoReflect(), p); op != "" {
				t.Fatalf("%q passed but names the tainted operator %s", sql, op)
			}
		}
	})
}

// taintedOpName finds a String node naming a tainted operator outside
// constants and column references (where it is a value or a quoted
// identifier), and not qualified with pg_catalog.
func taintedOpName(m protoreflect.Message, p *Policy) string {
	switch v := m.Interface().(type) {
	case *pg_query.A_Const, *pg_query.ColumnRef:
		return ""
	case *pg_query.String:
		if _, ok := p.traced.ops[v.Sval]; ok {
			return v.Sval
		}
		return ""
	}
	found := ""
	m.Range(func(fd protoreflect.FieldDescriptor, val protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := val.List()
			if l.Len() >= 2 {
				if n, ok := l.Get(l.Len() - 2).Message().Interface().(*pg_query.Node); ok && n.GetString_().GetSval() == "pg_catalog" {
					return true // OPERATOR(pg_catalog.op)
				}
			}
			for i := 0; i < l.Len() && found == ""; i++ {
				found = taintedOpName(l.Get(i).Message(), p)
			}
		case fd.Message() != nil && !fd.IsMap():
			found = taintedOpName(val.Message(), p)
		}
		return found == ""
	})
	return found
}
