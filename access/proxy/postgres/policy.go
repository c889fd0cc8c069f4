//go:build cgo

package postgres

import (
	"fmt"
	"maps"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Policy decides which statements may reach a read-only upstream. It is
// immutable after construction, except for the prepared-statement names a
// session tracks itself.
type Policy struct {
	// allow are the functions outside pg_catalog the target's
	// configuration names (Options.AllowFunctions), as "schema.name".
	allow map[string]bool
	// userFuncs has the name of every function outside pg_catalog,
	// learned from pg_proc at session start: true if every function of
	// that name is in allow, false if some is not.
	userFuncs map[string]bool
	// shadowed holds the names in userFuncs that pg_catalog has a
	// function of too.
	shadowed map[string]bool
	// catalogAdded holds the names of functions made in pg_catalog after
	// initdb: not the built-ins the allowlist reviewed.
	catalogAdded map[string]bool
	// traced are the operators, types, casts and relations that run a
	// function that is not allowed (trace.go), learned at session start.
	traced traced
	// ceilings are the session defaults, in milliseconds, of the timeouts
	// a client may only lower (0: no limit), learned at session start.
	ceilings map[string]int64
}

// newPolicy is a Policy with the proxy's configuration and no catalog
// facts yet.
func (p *Proxy) newPolicy() *Policy {
	return newPolicy(p.opts.AllowFunctions)
}

func newPolicy(allow []string) *Policy {
	pol := &Policy{allow: map[string]bool{}, userFuncs: map[string]bool{}, shadowed: map[string]bool{},
		catalogAdded: map[string]bool{}, ceilings: map[string]int64{}, traced: newTraced()}
	for _, f := range allow {
		pol.allow[f] = true
	}
	return pol
}

// learnFunc adds the catalog's function schema.name — outside pg_catalog,
// or added to it after initdb — to the facts; shadows says pg_catalog has
// a function of that name too.
func (p *Policy) learnFunc(schema, name string, shadows bool) {
	if schema == "pg_catalog" {
		p.catalogAdded[name] = true
		return
	}
	ok, seen := p.userFuncs[name]
	p.userFuncs[name] = p.allow[schema+"."+name] && (ok || !seen)
	if shadows {
		p.shadowed[name] = true
	}
}

// Statement is one statement of a query and the verdict on it.
type Statement struct {
	SQL     string // the statement's own text
	Refusal string // why it is refused, or "" if it may run
	// unparsed: the text was refused before it reached the parser (see
	// bound), so nothing may parse it, not even the audit's normalizer.
	unparsed bool
	// names is what an allowed statement does to the session's prepared
	// statements, if anything.
	names *nameOp
}

// nameOp is what a statement does to the session's prepared-statement
// names: PREPARE adds name, DEALLOCATE removes it, DEALLOCATE ALL and
// DISCARD ALL (all) remove every name.
type nameOp struct {
	name     string
	add, all bool
}

// Check parses sql with PostgreSQL's grammar and judges each statement.
// prepared says which names PREPARE has created in this session; EXECUTE
// of any other name is refused. A query that does not parse is refused as
// a whole, with a single Statement.
func (p *Policy) Check(sql string, prepared map[string]bool) []Statement {
	stmts, _ := p.check(sql, prepared)
	return stmts
}

// dependence says what a verdict depends on besides the text's structure
// and the catalog facts, which decides how it may be cached.
type dependence struct {
	// session: the verdict depends on the session's prepared statements
	// (an EXECUTE); it is not cached at all.
	session bool
	// values: the verdict read the value of a constant (a SET's value);
	// it is cached by exact text only, never shared by shape.
	values bool
}

// check is Check that also says what the verdict depends on besides sql
// and the catalog facts.
func (p *Policy) check(sql string, prepared map[string]bool) (stmts []Statement, deps dependence) {
	if r := bound(sql); r != "" {
		return []Statement{{SQL: sql, Refusal: r, unparsed: true}}, deps
	}
	tree, err := pg_query.Parse(sql)
	if err != nil {
		return []Statement{{SQL: sql, Refusal: fmt.Sprintf("the statement does not parse (%v), so it cannot be checked", err)}}, deps
	}
	if len(tree.Stmts) == 0 {
		return nil, deps
	}
	out := make([]Statement, 0, len(tree.Stmts))
	// local is prepared with the names this text's own PREPAREs add,
	// copied on the first, so that "PREPARE q …; EXECUTE q" is allowed.
	local := prepared
	for _, raw := range tree.Stmts {
		text := stmtText(sql, raw)
		switch {
		case raw.Stmt.GetExecuteStmt() != nil:
			deps.session = true
		case raw.Stmt.GetExplainStmt() != nil && raw.Stmt.GetExplainStmt().Query.GetExecuteStmt() != nil:
			deps.session = true
		case raw.Stmt.GetVariableSetStmt() != nil:
			deps.values = true
		}
		st := Statement{SQL: text, Refusal: p.statement(raw.Stmt, local)}
		if st.Refusal == "" {
			st.names = namesOf(raw.Stmt)
			if st.names != nil && st.names.add {
				local = maps.Clone(local)
				if local == nil {
					local = map[string]bool{}
				}
				local[st.names.name] = true
			}
		}
		out = append(out, st)
	}
	return out, deps
}

// namesOf says what a statement does to the session's prepared-statement
// names, or nil.
func namesOf(n *pg_query.Node) *nameOp {
	switch s := n.GetNode().(type) {
	case *pg_query.Node_PrepareStmt:
		return &nameOp{name: s.PrepareStmt.Name, add: true}
	case *pg_query.Node_DeallocateStmt:
		return &nameOp{name: s.DeallocateStmt.Name, all: s.DeallocateStmt.Isall || s.DeallocateStmt.Name == ""}
	case *pg_query.Node_DiscardStmt:
		if s.DiscardStmt.Target == pg_query.DiscardMode_DISCARD_ALL {
			return &nameOp{all: true}
		}
	}
	return nil
}

// Refusal is the first refusal among stmts, or "".
func Refusal(stmts []Statement) string {
	for _, s := range stmts {
		if s.Refusal != "" {
			return s.Refusal
		}
	}
	return ""
}

func stmtText(sql string, raw *pg_query.RawStmt) string {
	start := int(raw.StmtLocation)
	end := len(sql)
	if raw.StmtLen > 0 {
		end = start + int(raw.StmtLen)
	}
	if start < 0 || start > end || end > len(sql) {
		return strings.TrimSpace(sql)
	}
	return strings.TrimSpace(sql[start:end])
}

func (p *Policy) statement(n *pg_query.Node, prepared map[string]bool) string {
	switch s := n.GetNode().(type) {
	case *pg_query.Node_SelectStmt:
		return p.read(n)
	case *pg_query.Node_ExplainStmt:
		if s.ExplainStmt.Query.GetExecuteStmt() != nil {
			return p.statement(s.ExplainStmt.Query, prepared)
		}
		if s.ExplainStmt.Query.GetSelectStmt() == nil {
			return "EXPLAIN is allowed only of SELECT, VALUES, TABLE, read-only WITH or EXECUTE of a prepared read"
		}
		return p.read(s.ExplainStmt.Query)
	case *pg_query.Node_VariableShowStmt:
		return ""
	case *pg_query.Node_VariableSetStmt:
		return p.setRefusal(s.VariableSetStmt)
	case *pg_query.Node_TransactionStmt:
		return transactionRefusal(s.TransactionStmt)
	case *pg_query.Node_DeclareCursorStmt:
		if s.DeclareCursorStmt.Query.GetSelectStmt() == nil {
			return "DECLARE is allowed only for a cursor over a read"
		}
		return p.read(s.DeclareCursorStmt.Query)
	case *pg_query.Node_FetchStmt, *pg_query.Node_ClosePortalStmt:
		return ""
	case *pg_query.Node_CopyStmt:
		return p.copyRefusal(s.CopyStmt)
	case *pg_query.Node_PrepareStmt:
		if s.PrepareStmt.Query.GetSelectStmt() == nil {
			return "PREPARE is allowed only of a read (SELECT, VALUES, TABLE, read-only WITH)"
		}
		for _, a := range s.PrepareStmt.Argtypes {
			if tn := a.GetTypeName(); tn != nil {
				if r := p.typeRefusal(tn.Names); r != "" {
					return r
				}
			}
		}
		return p.read(s.PrepareStmt.Query)
	case *pg_query.Node_ExecuteStmt:
		if !prepared[s.ExecuteStmt.Name] {
			return fmt.Sprintf("EXECUTE of %q is refused: no read-only statement of that name was prepared through the proxy", s.ExecuteStmt.Name)
		}
		return p.read(n)
	case *pg_query.Node_DeallocateStmt:
		return ""
	case *pg_query.Node_DiscardStmt:
		// DISCARD ALL resets the session to its defaults: the pinned
		// settings are startup parameters, so it returns to them, and
		// read-only stays on. PLANS, SEQUENCES and TEMP drop this
		// session's caches and temporary tables only.
		return ""
	}
	return fmt.Sprintf("%s is refused: only reads, SHOW, safe SET and read-only transaction control are allowed", stmtKind(n))
}

// stmtKind names a statement node the way PostgreSQL's grammar does, for
// refusal messages: InsertStmt → INSERT.
func stmtKind(n *pg_query.Node) string {
	m := n.ProtoReflect()
	fd := m.WhichOneof(m.Descriptor().Oneofs().Get(0))
	if fd == nil {
		return "this statement"
	}
	name := strings.TrimSuffix(string(fd.Message().Name()), "Stmt")
	return strings.ToUpper(name)
}

// read checks a query tree for anything that writes, locks or has side
// effects: data-modifying statements (writable CTEs), SELECT INTO, locking
// clauses, functions that are not allowed, and operators, types, casts
// and relations that run them (trace.go), wherever they are nested.
func (p *Policy) read(n *pg_query.Node) string {
	if p.traced.builtin != "" {
		return p.traced.builtin
	}
	return walk(n.ProtoReflect(), func(m proto.Message) string {
		switch v := m.(type) {
		case *pg_query.InsertStmt, *pg_query.UpdateStmt, *pg_query.DeleteStmt, *pg_query.MergeStmt:
			return "data-modifying statements (including in WITH) are refused: the target is read-only"
		case *pg_query.SelectStmt:
			if v.IntoClause != nil {
				return "SELECT INTO is refused: it creates a table"
			}
			if len(v.LockingClause) > 0 {
				return "FOR UPDATE/SHARE locking clauses are refused: they lock rows"
			}
		case *pg_query.FuncCall:
			if r := p.funcRefusal(v); r != "" {
				return r
			}
			// A function-notation cast, type(x).
			return p.typeRefusal(v.Funcname)
		case *pg_query.RangeTableSample:
			return p.sampleRefusal(v)
		case *pg_query.RangeVar:
			return p.relRefusal(v)
		case *pg_query.TypeName:
			return p.typeRefusal(v.Names)
		case *pg_query.A_Expr:
			return p.exprOpRefusal(v)
		case *pg_query.SubLink:
			if len(v.OperName) == 0 && v.SubLinkType == pg_query.SubLinkType_ANY_SUBLINK {
				return p.opRefusal("=") // IN (subquery)
			}
			return p.opNameRefusal(v.OperName)
		case *pg_query.SortBy:
			return p.opNameRefusal(v.UseOp)
		case *pg_query.CaseExpr:
			if v.Arg != nil {
				return p.opRefusal("=") // CASE x WHEN y compares with =
			}
		case *pg_query.JoinExpr:
			if v.IsNatural || len(v.UsingClause) > 0 {
				return p.opRefusal("=")
			}
		case *pg_query.ColumnRef:
			return p.attributeRefusal(v.Fields[1:])
		case *pg_query.A_Indirection:
			return p.attributeRefusal(v.Indirection)
		}
		return ""
	})
}

// sampleRefusal judges TABLESAMPLE, whose method is a function resolved
// like any other: only the built-in methods, by an unqualified name no
// function outside pg_catalog has.
func (p *Policy) sampleRefusal(s *pg_query.RangeTableSample) string {
	n := len(s.Method)
	if n == 0 {
		return ""
	}
	name := s.Method[n-1].GetString_().GetSval()
	if _, user := p.userFuncs[name]; n == 1 && !user && (name == "system" || name == "bernoulli") {
		return ""
	}
	return fmt.Sprintf("TABLESAMPLE %s is refused: only the built-in methods system and bernoulli are allowed", name)
}

// paramTypesRefusal judges the parameter types a Parse message gives by
// OID: binding a value to a tainted type runs its input function or
// domain check.
func (p *Policy) paramTypesRefusal(oids []uint32) string {
	if p.traced.builtin != "" && len(oids) > 0 {
		return p.traced.builtin
	}
	for _, oid := range oids {
		if why, ok := p.traced.typeOIDs[oid]; ok {
			return fmt.Sprintf("a parameter of type %s is refused", why)
		}
	}
	return ""
}

// relRefusal judges reading a relation by its name.
func (p *Policy) relRefusal(v *pg_query.RangeVar) string {
	if why, ok := refusedRelations[v.Relname]; ok {
		return fmt.Sprintf("reading %s is refused: %s", v.Relname, why)
	}
	if why, ok := p.traced.rels[v.Relname]; ok {
		return fmt.Sprintf("reading %s is refused: %s", v.Relname, why)
	}
	return ""
}

// typeRefusal judges a type name (or a function name that may be a cast
// in function notation): a tainted type, or the target of a tainted cast.
func (p *Policy) typeRefusal(names []*pg_query.Node) string {
	if len(names) == 0 {
		return ""
	}
	name := names[len(names)-1].GetString_().GetSval()
	if why, ok := p.traced.types[name]; ok {
		return fmt.Sprintf("type %s is refused: %s", name, why)
	}
	if why, ok := p.traced.casts[name]; ok {
		return fmt.Sprintf("casting to %s is refused: a cast to it defined upstream %s", name, why[len("it "):])
	}
	return ""
}

// exprOpRefusal judges the operators an expression uses by name.
func (p *Policy) exprOpRefusal(v *pg_query.A_Expr) string {
	switch v.Kind {
	case pg_query.A_Expr_Kind_AEXPR_BETWEEN, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN,
		pg_query.A_Expr_Kind_AEXPR_BETWEEN_SYM, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM:
		for _, op := range []string{"<", ">", "<=", ">="} {
			if r := p.opRefusal(op); r != "" {
				return r
			}
		}
		return ""
	}
	return p.opNameRefusal(v.Name)
}

// opNameRefusal judges an operator name, possibly qualified: OPERATOR(
// pg_catalog.+) is always a built-in.
func (p *Policy) opNameRefusal(names []*pg_query.Node) string {
	n := len(names)
	if n == 0 || (n >= 2 && names[n-2].GetString_().GetSval() == "pg_catalog") {
		return ""
	}
	return p.opRefusal(names[n-1].GetString_().GetSval())
}

func (p *Policy) opRefusal(op string) string {
	if why, ok := p.traced.ops[op]; ok {
		return fmt.Sprintf("operator %s is refused: an operator of that name defined upstream %s", op, why[len("it "):])
	}
	return ""
}

// attributeRefusal judges the fields after the first of a column
// reference, a.b, or an indirection, (a).b: b may be the function b
// called on the row a. A name of a function the proxy refuses is refused
// there too; other names are columns or allowed functions.
func (p *Policy) attributeRefusal(fields []*pg_query.Node) string {
	for _, f := range fields {
		name := f.GetString_().GetSval()
		if name == "" {
			continue
		}
		allowed, user := p.userFuncs[name]
		_, refused := refusedFuncs[name]
		if refused || (user && !allowed) {
			return fmt.Sprintf("%s in attribute notation (a.%s) is refused: it may call the function %s on the row, which is not allowed", name, name, name)
		}
	}
	return ""
}

func (p *Policy) funcRefusal(f *pg_query.FuncCall) string {
	n := len(f.Funcname)
	if n == 0 {
		return ""
	}
	name := f.Funcname[n-1].GetString_().GetSval()
	schema := ""
	if n >= 2 {
		// db.schema.name: the server refuses any db but the current one.
		schema = f.Funcname[n-2].GetString_().GetSval()
	}
	builtin := builtinAllowed[name] != ""
	if name == "set_config" && (schema == "" || schema == "pg_catalog") {
		// Judged as the SET it is (settings.go).
		if r := p.setConfigRefusal(f); r != "" {
			return r
		}
		builtin = true
	}
	return p.nameRefusal(schema, name, builtin)
}

// nameRefusal judges a call of the function schema.name (schema "" when
// the call does not qualify it); builtin says a pg_catalog function of
// that name is allowed. Functions are default-deny (functions.go).
func (p *Policy) nameRefusal(schema, name string, builtin bool) string {
	if why, ok := refusedFuncs[name]; ok {
		return fmt.Sprintf("function %s is refused: %s", name, why)
	}
	if p.catalogAdded[name] && (schema == "" || schema == "pg_catalog") {
		return fmt.Sprintf("function %s is refused: a function of that name was added to pg_catalog after initdb (an extension installed there), which the allowlist did not review", name)
	}
	switch schema {
	case "pg_catalog":
		if builtin {
			return ""
		}
		return fmt.Sprintf("function pg_catalog.%s is refused: it is not on the proxy's reviewed list of read-only built-in functions", name)
	case "":
		allowed, user := p.userFuncs[name]
		switch {
		case user && !allowed:
			return fmt.Sprintf("function %s is refused: a function %s outside pg_catalog exists upstream and the target's configuration does not allow it "+
				"(an unqualified call could resolve to it; user-defined functions run only when the configuration names them)", name, name)
		case builtin:
			return ""
		case user && !p.shadowed[name]:
			return "" // every function of that name is allowed by the configuration
		case user:
			return fmt.Sprintf("function %s is refused: pg_catalog has a function %s that is not on the proxy's reviewed list, and an unqualified call could resolve to it", name, name)
		}
		return fmt.Sprintf("function %s is refused: it is not on the proxy's reviewed list of read-only built-in functions, nor named by the target's configuration", name)
	}
	if p.allow[schema+"."+name] {
		return ""
	}
	return fmt.Sprintf("function %s.%s is refused: user-defined functions run only when the target's configuration names them (a STABLE or IMMUTABLE marker is the author's claim, not a guarantee)", schema, name)
}

// walk visits every message in a parse tree, depth first, and returns the
// first refusal visit reports.
func walk(m protoreflect.Message, visit func(proto.Message) string) string {
	if r := visit(m.Interface()); r != "" {
		return r
	}
	var refusal string
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len() && refusal == ""; i++ {
				refusal = walk(l.Get(i).Message(), visit)
			}
		case fd.Message() != nil && !fd.IsMap():
			refusal = walk(v.Message(), visit)
		}
		return refusal == ""
	})
	return refusal
}

func (p *Policy) setRefusal(s *pg_query.VariableSetStmt) string {
	switch s.Kind {
	case pg_query.VariableSetKind_VAR_SET_MULTI:
		// SET TRANSACTION …, SET SESSION CHARACTERISTICS AS TRANSACTION …,
		// SET TRANSACTION SNAPSHOT.
		if readWrite(s.Args) {
			return fmt.Sprintf("SET %s … READ WRITE is refused: the session stays read-only", strings.ToUpper(s.Name))
		}
		return ""
	case pg_query.VariableSetKind_VAR_RESET_ALL:
		// RESET ALL returns every setting to the session's default: for
		// the pinned ones, the startup values, which the client never
		// chose (pinnedParams).
		return ""
	case pg_query.VariableSetKind_VAR_SET_VALUE:
		return settingRefusal(s.Name, s.Args, p.ceilings)
	}
	// SET … TO DEFAULT, SET … FROM CURRENT, RESET: back to (or staying
	// at) the session's default, for a setting on the list.
	return settingRefusal(s.Name, nil, p.ceilings)
}

// setConfigRefusal judges set_config(name, value, is_local) as the SET it
// is: the name must be a string constant naming a settable setting, and
// the value a string constant (or NULL, the default) the setting takes.
func (p *Policy) setConfigRefusal(f *pg_query.FuncCall) string {
	const form = "set_config is allowed only as set_config('name', 'value', is_local) with constant name and value"
	if len(f.Args) != 3 || f.AggStar || f.AggDistinct || f.FuncVariadic || f.Over != nil || f.AggFilter != nil || len(f.AggOrder) > 0 {
		return form
	}
	name := f.Args[0].GetAConst()
	if name == nil || name.GetSval() == nil {
		return form
	}
	value := f.Args[1].GetAConst()
	switch {
	case value == nil:
		return form
	case value.Isnull:
		return settingRefusal(name.GetSval().Sval, nil, p.ceilings)
	case value.GetSval() == nil:
		return form
	}
	return settingRefusal(name.GetSval().Sval, f.Args[1:2], p.ceilings)
}

func transactionRefusal(s *pg_query.TransactionStmt) string {
	switch s.Kind {
	case pg_query.TransactionStmtKind_TRANS_STMT_BEGIN, pg_query.TransactionStmtKind_TRANS_STMT_START:
		if readWrite(s.Options) {
			return "BEGIN/START TRANSACTION READ WRITE is refused: transactions stay read-only"
		}
		return ""
	case pg_query.TransactionStmtKind_TRANS_STMT_PREPARE, pg_query.TransactionStmtKind_TRANS_STMT_COMMIT_PREPARED,
		pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_PREPARED:
		return "two-phase commit (PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED) is refused"
	}
	return ""
}

// readWrite reports whether transaction options ask for READ WRITE, that
// is transaction_read_only = false.
func readWrite(opts []*pg_query.Node) bool {
	for _, o := range opts {
		d := o.GetDefElem()
		if d == nil || d.Defname != "transaction_read_only" {
			continue
		}
		c := d.Arg.GetAConst()
		if c == nil || c.GetIval() == nil || c.GetIval().Ival == 0 {
			return true
		}
	}
	return false
}

func (p *Policy) copyRefusal(s *pg_query.CopyStmt) string {
	switch {
	case s.IsFrom:
		return "COPY FROM is refused: only COPY … TO STDOUT is allowed"
	case s.IsProgram:
		return "COPY … PROGRAM is refused: only COPY … TO STDOUT is allowed"
	case s.Filename != "":
		return "COPY to a server file is refused: only COPY … TO STDOUT is allowed"
	case s.Query != nil:
		if s.Query.GetSelectStmt() == nil {
			return "COPY (query) is allowed only of a read"
		}
		return p.read(s.Query)
	case s.Relation != nil:
		if p.traced.builtin != "" {
			return p.traced.builtin
		}
		return p.relRefusal(s.Relation)
	}
	return ""
}
