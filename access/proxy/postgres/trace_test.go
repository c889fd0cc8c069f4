//go:build cgo

package postgres

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// tracedAttacks run a function that is not allowed without naming it:
// through operators, casts, domains, views, policies and attribute
// notation made in testdata/setup.sql, directly and inside EXPLAIN,
// COPY, DECLARE and PREPARE. writes says the statement, on a direct
// read-write session, does advance invoice_no: the attack is real. The
// others are refused because the proxy's rule is conservative (a table
// with a column of a tainted type, a range type whose tainted function
// only an index would call, a policy the superuser bypasses).
var tracedAttacks = []struct {
	sql    string
	writes bool
}{
	{"select 1 ==> 2", true},
	{"select count(*) from accounts where id ==> 1", true},
	{"select 1 operator(public.==>) 2", true},
	{"select * from accounts where id ==> any(array[1, 2])", true},
	{"explain select 1 ==> 2", true}, // the planner folds the immutable call
	{"explain analyze select 1 ==> 2", true},
	{"select 1::holder", true},
	{"select cast(1 as holder)", true},
	{"select holder(1)", false}, // no function-notation cast to a composite type, but refused by name
	{"select (id::holder).x from accounts", true},
	{"select 5::checked_int", true},
	{"select cast(id as checked_int) from accounts", true},
	{"select * from sneaky_view", true},
	{"select * from over_sneaky", true},
	{"select count(*) from op_view", true},
	{"table sneaky_view", true},
	{"select s.s from accounts a join sneaky_view s using (id)", true},
	{"select a.acct_writer from accounts a", true},
	{"select (a).acct_writer from accounts a", true},
	{"select a.acct_writer + 1 from accounts a where id = 1", true},
	{"copy (select * from sneaky_view) to stdout", true},
	{"copy (select 1 ==> 2) to stdout", true},
	{"copy (select 1::holder) to stdout", true},
	{"declare c cursor for select * from over_sneaky", false},
	{"prepare pv as select * from sneaky_view", false},
	{"prepare pv as select $1::int ==> 1", false},
	{"select * from checked_vals", false},
	{"copy checked_vals to stdout", false},
	{"select '[1,2]'::writer_range", false},
	{"select * from guarded", false},
	{"select * from holds_range", false},
	{"prepare pt(checked_int) as select $1", false},
}

// TestTracedObjects checks each traced attack twice: on a direct
// read-write session it writes (for those marked so), and through the
// proxy, in both protocols, it is refused naming the object and leaves
// the server's state unchanged.
func TestTracedObjects(t *testing.T) {
	srv := startPostgres(t)
	ctx := t.Context()
	direct, err := pgconn.Connect(ctx, srv.connString())
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	seq := func() string {
		res, err := direct.Exec(ctx, "select last_value from invoice_no").ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return string(res[0].Rows[0][0])
	}
	for _, a := range tracedAttacks {
		if !a.writes {
			continue
		}
		before := seq()
		if _, err := direct.Exec(ctx, a.sql).ReadAll(); err != nil {
			t.Errorf("%q on a direct session: %v", a.sql, err)
		}
		if seq() == before {
			t.Errorf("%q on a direct session did not advance invoice_no: not a fair attack", a.sql)
		}
	}
	res, err := direct.Exec(ctx, "select 'checked_int'::regtype::oid").ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var oid uint32
	fmt.Sscan(string(res[0].Rows[0][0]), &oid)
	seqBefore := seq()
	if r := direct.ExecParams(ctx, "select $1", [][]byte{[]byte("5")}, []uint32{oid}, nil, nil).Read(); r.Err != nil || seq() == seqBefore {
		t.Errorf("binding a checked_int parameter on a direct session: %v, invoice_no %s → %s; not a fair attack", r.Err, seqBefore, seq())
	}
	tp := serveProxy(t, srv, ctx)
	before := checksum(t, srv)
	c := dialProxy(t, tp, "")
	for _, a := range tracedAttacks {
		_, err := c.Exec(ctx, a.sql).ReadAll()
		wantRefused(t, "simple", a.sql, err)
		c.Exec(ctx, "rollback").ReadAll()
		wantRefused(t, "extended", a.sql, c.ExecParams(ctx, a.sql, nil, nil, nil, nil).Read().Err)
		if err != nil && !strings.Contains(err.Error(), " is refused: ") {
			t.Errorf("%q: %v, want a refusal naming the object", a.sql, err)
		}
	}
	// A parameter type given by OID in Parse: binding 5 would run the
	// domain's check. Not refused: the same text with an untainted type.
	_, err = c.Prepare(ctx, "typed", "select $1", []uint32{oid})
	wantRefused(t, "Parse", "select $1 with a checked_int parameter", err)
	r := c.ExecParams(ctx, "select $1", [][]byte{[]byte("5")}, []uint32{oid}, nil, nil).Read()
	wantRefused(t, "extended", "select $1 with a checked_int parameter", r.Err)
	if r := c.ExecParams(ctx, "select $1", [][]byte{[]byte("5")}, []uint32{23}, nil, nil).Read(); r.Err != nil {
		t.Errorf("select $1 with an int parameter: %v", r.Err)
	}
	// The clean objects of the same kinds stay readable.
	for _, sql := range []string{"select * from clean_view order by id", "select * from rich order by id",
		"select a.name, a.id from accounts a order by id limit 2", "select (a).name from accounts a order by id limit 2",
		"select 1 where 1 in (1, 2)", "select case 1 when 1 then 'a' end", "select 'happy'::mood"} {
		if _, err := c.Exec(ctx, sql).ReadAll(); err != nil {
			t.Errorf("%q: %v", sql, err)
		}
	}
	wantUnchanged(t, srv, before, "the traced attacks")
}

// TestTracedGlobal makes objects upstream that taint names every
// statement uses — an operator =, an implicit cast from a built-in type,
// an operator class over int's own operators — and wants them refused once a session has learned them, and
// allowed again once they are gone: the checker follows the catalog.
func TestTracedGlobal(t *testing.T) {
	srv := startPostgres(t)
	tp := serveProxy(t, srv, t.Context())
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
	session := func() *pgconn.PgConn {
		c, err := pgconn.Connect(ctx, tp.connString())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	eqUses := []string{"select 1 where 1 in (1, 2)", "select case 1 when 1 then 'a' end", "select nullif(1, 1)",
		"select 1 is distinct from 2", "select count(*) from accounts join events using (id)", "select 1 = 1",
		"select 1 where 1 in (select 1)", "select 1 where 1 = any(array[1])"}
	defer exec(admin, "drop operator if exists public.= (int, text); drop function if exists eq_writer(int, text)")
	if err := exec(admin, "create or replace function eq_writer(int, text) returns bool language sql immutable as $$ select nextval('invoice_no') > 0 $$;"+
		"create operator public.= (leftarg = int, rightarg = text, function = eq_writer)"); err != nil {
		t.Fatal(err)
	}
	before := checksum(t, srv)
	c := session()
	for _, sql := range eqUses {
		wantRefused(t, "simple", sql, exec(c, sql))
	}
	c.Close(ctx)
	wantUnchanged(t, srv, before, "uses of = while a user = is tainted")
	if err := exec(admin, "drop operator public.= (int, text)"); err != nil {
		t.Fatal(err)
	}
	c = session()
	for _, sql := range eqUses {
		if err := exec(c, sql); err != nil {
			t.Errorf("%q after the user = was dropped: %v", sql, err)
		}
	}
	c.Close(ctx)

	defer exec(admin, "drop function if exists bool_holder(bool)")
	defer exec(admin, "drop cast if exists (bool as holder)")
	if err := exec(admin, "create or replace function bool_holder(bool) returns holder language sql immutable as $$ select row(nextval('invoice_no')::int)::holder $$;"+
		"create cast (bool as holder) with function bool_holder(bool) as implicit"); err != nil {
		t.Fatal(err)
	}
	c = session()
	for _, sql := range []string{"select 1", "select true", "select * from accounts"} {
		err := exec(c, sql)
		wantRefused(t, "simple", sql, err)
		if err != nil && !strings.Contains(err.Error(), "built-in type bool") {
			t.Errorf("%q: %v, want the refusal naming bool", sql, err)
		}
	}
	c.Close(ctx)
	if err := exec(admin, "drop cast (bool as holder)"); err != nil {
		t.Fatal(err)
	}
	c = session()
	if err := exec(c, "select true"); err != nil {
		t.Errorf("select true after the cast was dropped: %v", err)
	}
	c.Close(ctx)

	// A cast to json from a user type: to_json calls it for values of the
	// type, without naming json or the cast.
	defer exec(admin, "drop table if exists jsoned; drop type if exists jtype cascade; drop function if exists jtype_json(jtype)")
	if err := exec(admin, "create type jtype as enum ('a', 'b');"+
		"create function jtype_json(jtype) returns json language sql immutable as $$ select to_json(nextval('invoice_no')) $$;"+
		"create cast (jtype as json) with function jtype_json(jtype); create table jsoned (v jtype); insert into jsoned values ('a')"); err != nil {
		t.Fatal(err)
	}
	res, err := admin.Exec(ctx, "select last_value from invoice_no; select to_json(v) from jsoned; select last_value from invoice_no").ReadAll()
	if err != nil || string(res[0].Rows[0][0]) == string(res[2].Rows[0][0]) {
		t.Errorf("to_json of a jtype on a direct session did not advance invoice_no (%v): not a fair attack", err)
	}
	before = checksum(t, srv)
	c = session()
	for _, sql := range []string{"select to_json(v) from jsoned", "select json_agg(j) from jsoned j", "select to_jsonb('a'::jtype)"} {
		wantRefused(t, "simple", sql, exec(c, sql))
	}
	c.Close(ctx)
	wantUnchanged(t, srv, before, "to_json of a type with a writing cast to json")
	exec(admin, "drop table if exists jsoned")

	// A partitioned table keyed with an operator class whose support
	// function writes: pruning calls it when the plan is made.
	defer exec(admin, "drop table if exists parted; drop operator family if exists int_writer_ops using btree; drop function if exists cmp_writer(int, int)")
	if err := exec(admin, "create or replace function cmp_writer(int, int) returns int language sql immutable as "+
		"$$ select case when nextval('invoice_no') > 0 then btint4cmp($1, $2) end $$;"+
		"create operator class int_writer_ops for type int using btree as operator 1 <, operator 2 <=, operator 3 =, "+
		"operator 4 >=, operator 5 >, function 1 cmp_writer(int, int);"+
		"create table parted (id int) partition by range (id int_writer_ops);"+
		"create table parted_1 partition of parted for values from (0) to (10)"); err != nil {
		t.Fatal(err)
	}
	res, err = admin.Exec(ctx, "select last_value from invoice_no; select count(*) from parted where id = 5; select last_value from invoice_no").ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if string(res[0].Rows[0][0]) == string(res[2].Rows[0][0]) {
		t.Errorf("reading parted on a direct session did not advance invoice_no: not a fair attack")
	}
	// Judged by invoice_no alone: the checksum reads every table, parted
	// too, and would advance it itself.
	seq := func() string {
		res, err := admin.Exec(ctx, "select last_value from invoice_no").ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return string(res[0].Rows[0][0])
	}
	seqBefore := seq()
	c = session()
	defer c.Close(ctx)
	for _, sql := range []string{"select count(*) from parted where id = 5", "select * from parted_1", "select 1 where 2 > 1"} {
		wantRefused(t, "simple", sql, exec(c, sql))
	}
	if got := seq(); got != seqBefore {
		t.Errorf("reads of a table partitioned with a writing operator class advanced invoice_no from %s to %s", seqBefore, got)
	}
}

// TestTracedRefresh redefines a view whose reads are allowed and cached
// to call a function that is not allowed: once a session has learned
// that, every session refuses it, the one that cached it too.
func TestTracedRefresh(t *testing.T) {
	srv := startPostgres(t)
	tp := serveProxy(t, srv, t.Context())
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
	defer exec(admin, "drop view if exists late_view")
	if err := exec(admin, "create or replace view late_view as select id from accounts"); err != nil {
		t.Fatal(err)
	}
	old, err := pgconn.Connect(ctx, tp.connString())
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close(ctx)
	reads := []string{"select * from late_view", "select * from late_view where id = 3", "select * from late_view where id = 4"}
	for _, sql := range reads {
		if err := exec(old, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	if err := exec(admin, "create or replace view late_view as select id, sneaky(id) as s from accounts"); err != nil {
		t.Fatal(err)
	}
	fresh, err := pgconn.Connect(ctx, tp.connString())
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close(ctx)
	for _, c := range []*pgconn.PgConn{old, fresh} {
		for _, sql := range append(reads, "select * from late_view where id = 5") {
			err := exec(c, sql)
			wantRefused(t, "after the refresh", sql, err)
			if err != nil && !strings.Contains(err.Error(), "reading late_view is refused: it runs function public.sneaky") {
				t.Errorf("%s: %v, want the refusal naming sneaky", sql, err)
			}
		}
	}
}
