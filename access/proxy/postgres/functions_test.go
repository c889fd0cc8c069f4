//go:build cgo

package postgres

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestAllowlistDisjoint: no name is both allowed and refused, and every
// family has a reason.
func TestAllowlistDisjoint(t *testing.T) {
	for _, fams := range [][]funcFamily{allowedFamilies, refusedFamilies} {
		for _, f := range fams {
			if strings.TrimSpace(f.why) == "" || len(strings.Fields(f.names)) == 0 {
				t.Errorf("family %q: a reason and names, please", f.why)
			}
		}
	}
	for name := range refusedFuncs {
		if builtinAllowed[name] != "" {
			t.Errorf("%s is both allowed (%s) and refused (%s)", name, builtinAllowed[name], refusedFuncs[name])
		}
	}
	if len(builtinAllowed) < 300 {
		t.Errorf("%d built-ins allowed; the families lost names", len(builtinAllowed))
	}
}

// TestAllowlistExists checks the allowlist against the real server: every
// allowed name is a function of pg_catalog (a typo would allow a name a
// user function could take), and none of pg_catalog's functions of an
// allowed name is VOLATILE but for the reviewed few that only read the
// clock, randomness or this session's state.
func TestAllowlistExists(t *testing.T) {
	srv := startPostgres(t)
	ctx := t.Context()
	c, err := pgconn.Connect(ctx, srv.connString())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	res, err := c.Exec(ctx, `select proname, bool_or(provolatile = 'v') from pg_proc where pronamespace = 'pg_catalog'::regnamespace group by proname`).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	volatile := map[string]bool{}
	for _, row := range res[0].Rows {
		volatile[string(row[0])] = string(row[1]) == "t"
	}
	reviewedVolatile := map[string]bool{"random": true, "setseed": true, "clock_timestamp": true, "timeofday": true,
		"gen_random_uuid": true, "pg_sleep": true, "pg_sleep_for": true, "pg_sleep_until": true, "currval": true, "lastval": true,
		"lo_get": true, "pg_sequence_last_value": true, "pg_current_xact_id_if_assigned": true, "txid_current_if_assigned": true,
		"pg_notification_queue_usage": true, "pg_current_snapshot": true, "txid_current_snapshot": true,
		"pg_xact_status": true, "txid_status": true, "pg_last_committed_xact": true, "pg_current_wal_lsn": true,
		"pg_current_wal_insert_lsn": true, "pg_current_wal_flush_lsn": true, "pg_last_wal_receive_lsn": true,
		"pg_last_wal_replay_lsn": true, "pg_last_xact_replay_timestamp": true, "pg_is_wal_replay_paused": true,
		"pg_get_wal_replay_pause_state": true, "pg_is_in_recovery": true, "pg_blocking_pids": true,
		"pg_safe_snapshot_blocking_pids": true, "pg_listening_channels": true, "pg_trigger_depth": true,
		"pg_xact_commit_timestamp": true, "pg_stat_get_backend_pid": true, "pg_sequence_parameters": true,
		"pg_tablespace_databases": true, "pg_database_size": true, "pg_tablespace_size": true, "pg_relation_size": true,
		"pg_total_relation_size": true, "pg_table_size": true, "pg_indexes_size": true, "pg_relation_filenode": true,
		"pg_conf_load_time": true, "pg_postmaster_start_time": true, "pg_jit_available": true, "current_query": true,
		"pg_collation_actual_version": true, "pg_partition_tree": true, "pg_get_keywords": true, "pg_column_size": true, "pg_partition_ancestors": true}
	for name, why := range builtinAllowed {
		v, ok := volatile[name]
		switch {
		case !ok:
			t.Errorf("%s is allowed but pg_catalog has no function of that name", name)
		case v && !reviewedVolatile[name]:
			t.Errorf("%s (%s) has a VOLATILE overload in pg_catalog; review it", name, why)
		}
	}
}

// TestAllowFunctionsConfig: New refuses configured names it cannot honour.
func TestAllowFunctionsConfig(t *testing.T) {
	for _, tt := range []struct {
		names []string
		want  string
	}{
		{[]string{"public.label"}, ""},
		{[]string{"label"}, "want schema.name"},
		{[]string{"public."}, "want schema.name"},
		{[]string{"a.b.c"}, "want schema.name"},
		{[]string{"pg_catalog.lower"}, "reviewed list only"},
		{[]string{"public.dblink_exec"}, "refused whatever the configuration"},
		{[]string{"public.crosstab"}, "refused whatever the configuration"},
	} {
		_, err := New(Options{Upstream: "127.0.0.1:1", User: "ro", AllowFunctions: tt.names})
		if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("AllowFunctions %q: %v, want %q", tt.names, err, tt.want)
		}
	}
}

// TestSideEffectsRefused tries, through the proxy, the functions whose
// effects a table checksum does not show, and judges each by the server's
// own account while the proxied session is still open: no advisory lock
// in pg_locks, no notification on a LISTENing direct connection, the
// probe slot neither consumed, advanced nor active, and no transaction id
// assigned to the proxied backend.
func TestSideEffectsRefused(t *testing.T) {
	srv := startPostgres(t)
	tp := serveProxy(t, srv, t.Context())
	ctx := t.Context()
	var notes []string
	cfg, err := pgconn.ParseConfig(srv.connString())
	if err != nil {
		t.Fatal(err)
	}
	cfg.OnNotification = func(_ *pgconn.PgConn, n *pgconn.Notification) { notes = append(notes, n.Channel+":"+n.Payload) }
	admin, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	one := func(sql string) string {
		t.Helper()
		res, err := admin.Exec(ctx, sql).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return string(res[len(res)-1].Rows[0][0])
	}
	one("listen devenv_chan; select 1")
	c := dialProxy(t, tp, "")
	res, err := c.Exec(ctx, "select pg_backend_pid()").ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	pid := string(res[0].Rows[0][0])
	slot := `select coalesce(confirmed_flush_lsn::text, '-') || ' ' || coalesce(restart_lsn::text, '-') || ' ' || active from pg_replication_slots where slot_name = '` + probeSlot + `'`
	// A change for the slot to hand out, so that consuming it would show.
	one("insert into audit_log values ('slot fodder') returning 1")
	slotBefore := one(slot)
	for _, sql := range []string{
		"select pg_advisory_lock(42)", "select pg_catalog.pg_try_advisory_lock(42)", "select pg_advisory_lock_shared(42, 1)",
		"begin; select pg_advisory_xact_lock(42)",
		"select pg_notify('devenv_chan', 'through the proxy')", "notify devenv_chan, 'x'",
		"select pg_logical_slot_get_changes('" + probeSlot + "', null, null)",
		"select pg_logical_slot_peek_changes('" + probeSlot + "', null, null)",
		"select pg_replication_slot_advance('" + probeSlot + "', pg_current_wal_lsn())",
		"begin; select txid_current()", "begin; select pg_current_xact_id()", "begin; select nextval('invoice_no')",
		"begin; select sneaky(1)",
	} {
		_, err := c.Exec(ctx, sql).ReadAll()
		wantRefused(t, "simple", sql, err)
		if got := one("select count(*) from pg_locks where locktype = 'advisory'"); got != "0" {
			t.Errorf("after %q: %s advisory locks held", sql, got)
		}
		if got := one("select coalesce(backend_xid::text, 'none') from pg_stat_activity where pid = " + pid); got != "none" {
			t.Errorf("after %q the proxied backend has transaction id %s", sql, got)
		}
		if got := one(slot); got != slotBefore {
			t.Errorf("after %q the probe slot is %q, was %q", sql, got, slotBefore)
		}
		c.Exec(ctx, "rollback").ReadAll()
	}
	// The probe is fair: a direct pg_notify reaches the listener. Had a
	// refused statement notified, its transaction committed earlier, so
	// its notification would arrive before this one: the direct one must
	// be the only one.
	d, err := pgconn.Connect(ctx, srv.connString())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close(ctx)
	if _, err := d.Exec(ctx, "select pg_notify('devenv_chan', 'direct')").ReadAll(); err != nil {
		t.Fatal(err)
	}
	// Notifications are delivered between a listener's queries; each look
	// is a round trip, so the loop needs no sleep.
	for deadline := time.Now().Add(10 * time.Second); len(notes) == 0 && time.Now().Before(deadline); {
		one("select 1")
	}
	if len(notes) != 1 || notes[0] != "devenv_chan:direct" {
		t.Errorf("a direct notification: the listener received %q", notes)
	}
}

// TestNameResolution judges calls by how the server could resolve them:
// an unqualified name only while every function of that name outside
// pg_catalog is allowed, pg_catalog.f only for reviewed built-ins, and
// no name a function added to pg_catalog after initdb has.
func TestNameResolution(t *testing.T) {
	p := newPolicy([]string{"public.label", "app.initcap"})
	p.learnFunc("public", "label", false)
	p.learnFunc("app", "initcap", true)
	p.learnFunc("public", "bump", false)
	p.learnFunc("public", "upper", true) // not allowed: shadows the built-in
	p.learnFunc("pg_catalog", "lower", true)
	for _, tt := range []struct {
		sql     string
		allowed bool
	}{
		{"select label('x')", true},
		{"select public.label('x')", true},
		{"select other.label('x')", false},
		{"select initcap('x')", true}, // both candidates are allowed
		{"select app.initcap('x')", true},
		{"select pg_catalog.initcap('x')", true},
		{"select upper('x')", false},
		{"select pg_catalog.upper('x')", true},
		{"select public.upper('x')", false},
		{"select lower('x')", false},
		{"select pg_catalog.lower('x')", false},
		{"select bump()", false},
		{"select length('x')", true},
		{"select postgres.pg_catalog.length('x')", true},
		{"select postgres.public.bump()", false},
		{"select nextval('s')", false},
		{"select public.nextval('s')", false},
		{"select pg_catalog.pg_stat_get_numscans(1)", false},
		{"select set_config('search_path', 'public', false)", true},
		{"select public.set_config('search_path', 'public', false)", false},
		{"select a.bump from accounts a", false},
		{"select a.label from accounts a", true},
		{"select * from t tablesample system(1)", true},
		{"select * from t tablesample public.system(1)", false},
	} {
		if got := Refusal(p.Check(tt.sql, nil)); (got == "") != tt.allowed {
			t.Errorf("%q: refusal %q, want allowed=%v", tt.sql, got, tt.allowed)
		}
	}
}

// TestTraceRules judges synthetic catalog facts: kind 'f' needs the
// allowlist even in pg_catalog, kind 'F' trusts pg_catalog, taint
// follows references through cycles, and the reasons do not depend on
// the order the server returned the rows in.
func TestTraceRules(t *testing.T) {
	edges := []traceEdge{
		{obj: "o1", name: "==>", kind: 'f', ref: "pg_catalog.nextval"},
		{obj: "o2", name: "<=>", kind: 'f', ref: "pg_catalog.int4eq"},
		{obj: "o3", name: "<->", kind: 'f', ref: "pg_catalog.textcat"},
		{obj: "o3", name: "<->", kind: 'F', ref: "pg_catalog.eqsel"},
		{obj: "t1", name: "mytype", kind: 'F', ref: "pg_catalog.record_in"},
		{obj: "t1", name: "mytype", kind: 'x', ref: "r1"},
		{obj: "r1", name: "mytable", kind: 'x', ref: "t1"},
		{obj: "r1", name: "mytable", kind: 'x', ref: "t2"},
		{obj: "t2", name: "dom", kind: 'f', ref: "public.check_it"},
		{obj: "r2", name: "cleanview", kind: 'f', ref: "pg_catalog.upper"},
		{obj: "r2", name: "cleanview", kind: 'x', ref: "t9"},
		{obj: "c1", name: "json", kind: 'f', ref: "public.to_json_x"},
		{obj: "t3", name: "text", builtin: true, kind: 'x', ref: "c2"},
		{obj: "c2", name: "holder", kind: 'f', ref: "public.allowed_cast"},
	}
	p := newPolicy([]string{"public.allowed_cast"})
	p.trace(edges)
	want := map[string]bool{"op ==>": true, "op <=>": true, "op <->": false, "type mytype": true, "rel mytable": true,
		"type dom": true, "rel cleanview": false, "cast json": true, "cast holder": false}
	for k, w := range want {
		kind, name, _ := strings.Cut(k, " ")
		m := map[string]map[string]string{"op": p.traced.ops, "type": p.traced.types, "rel": p.traced.rels, "cast": p.traced.casts}[kind]
		if _, got := m[name]; got != w {
			t.Errorf("%s tainted = %v, want %v", k, got, w)
		}
	}
	if p.traced.builtin != "" {
		t.Errorf("a built-in type tainted through an allowed cast: %s", p.traced.builtin)
	}
	for i := 0; i < 20; i++ {
		shuffled := slices.Clone(edges)
		rand.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		q := newPolicy([]string{"public.allowed_cast"})
		q.trace(shuffled)
		if !q.traced.equal(p.traced) {
			t.Fatalf("the facts differ with the rows' order:\n%+v\n%+v", p.traced, q.traced)
		}
	}
	// Not allowing the implicit cast taints the built-in text: every read.
	q := newPolicy(nil)
	q.trace(edges)
	if !strings.Contains(Refusal(q.Check("select 1", nil)), "built-in type text") {
		t.Errorf("select 1 with text tainted: %q", Refusal(q.Check("select 1", nil)))
	}
	for _, sql := range []string{"select 1 ==> 2", "select 1 operator(public.==>) 2", "select 1 where 1 between 0 and 2 and 1 <=> 1",
		"select * from mytable", "select '{}'::json", "select x::mytype from t", "select * from t order by x using <=>"} {
		if Refusal(p.Check(sql, nil)) == "" {
			t.Errorf("%q was allowed", sql)
		}
	}
	for _, sql := range []string{"select 1 operator(pg_catalog.=) 1", "select * from cleanview", "select 1 <-> 2", "select 1::holder"} {
		if r := Refusal(p.Check(sql, nil)); r != "" {
			t.Errorf("%q: %s", sql, r)
		}
	}
}

// TestPsqlDescribe runs psql's describe commands through the proxy: the
// catalog queries a debugging developer's psql sends use only allowed
// functions.
func TestPsqlDescribe(t *testing.T) {
	srv := startPostgres(t)
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql is not installed")
	}
	tp := serveProxy(t, srv, t.Context())
	host, port, _ := strings.Cut(tp.addr, ":")
	args := []string{"-h", host, "-p", port, "-U", "dev", "-d", "prod", "-X", "-v", "ON_ERROR_STOP=1"}
	for _, c := range []string{`\d accounts`, `\d+ events`, `\dt`, `\df`, `\dv`, `\d+ rich`, `\dn`, `\du`, `\l`, `\dx`,
		`\di`, `\ds`, `\dT`, `\sf label`, `\sv rich`, `\dp`, `\do`, `\dD`, `\dconfig`, `\dRp`} {
		args = append(args, "-c", c)
	}
	cmd := exec.CommandContext(t.Context(), psql, args...)
	cmd.Env = append(os.Environ(), "PGPASSWORD=", "PGSSLMODE=disable")
	if out, err := cmd.CombinedOutput(); err != nil || strings.Contains(string(out), "refused") {
		t.Errorf("psql describe commands: %v\n%s", err, out)
	}
}
