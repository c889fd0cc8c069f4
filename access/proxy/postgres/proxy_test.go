//go:build cgo

package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/clock"
	"github.com/devenv-dev/devenv/internal/clock/clocktest"
	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// checksum summarizes, as the superuser on a direct connection, everything
// a write could change: table contents, sequences, large objects, schema
// objects, roles, settings, prepared transactions, replication slots.
func checksum(t *testing.T, srv *pgServer) string {
	t.Helper()
	ctx := t.Context()
	c, err := pgconn.Connect(ctx, srv.connString())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	queries := []string{
		`select count(*) from pg_class`, `select count(*) from pg_proc`, `select count(*) from pg_roles`,
		`select count(*) from pg_prepared_xacts`, `select count(*) from pg_replication_slots`,
		`select count(*) from pg_db_role_setting`, `select count(*) from pg_description`,
		`select string_agg(rolname || rolpassword, ',' order by rolname) from pg_authid`,
		`select count(*), md5(coalesce(string_agg(data::text, '' order by loid, pageno), '')) from pg_largeobject`,
		`select count(*) from pg_largeobject_metadata`,
		`select last_value, is_called from invoice_no`, `select last_value, is_called from accounts_id_seq`,
		`select last_value, is_called from events_id_seq`, `select last_value, is_called from probe_seq`,
		`select pg_stat_get_db_xact_commit(0) is null`,
		`select string_agg(slot_name || ' ' || coalesce(restart_lsn::text, '-') || ' ' || coalesce(confirmed_flush_lsn::text, '-') || ' ' || active, ',' order by slot_name) from pg_replication_slots`,
		`select count(*) from pg_locks where locktype = 'advisory'`,
	}
	res, err := c.Exec(ctx, `select tablename from pg_tables where schemaname = 'public' order by 1`).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range res[0].Rows {
		queries = append(queries, fmt.Sprintf(`select '%s', count(*), md5(coalesce(string_agg(t::text, ',' order by t::text), '')) from public.%s t`, row[0], row[0]))
	}
	var b strings.Builder
	for _, q := range queries {
		res, err := c.Exec(ctx, q).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for _, row := range res[0].Rows {
			for _, v := range row {
				fmt.Fprintf(&b, "%s|", v)
			}
		}
		b.WriteString("\n")
	}
	for _, f := range []string{"/tmp/devenv_lo_export", "/tmp/devenv_copy_out", "/tmp/devenv_pwned"} {
		if _, err := os.Stat(f); err == nil {
			fmt.Fprintf(&b, "file %s exists\n", f)
		}
	}
	return b.String()
}

// wantRefused checks that err is the proxy's refusal, not the server's.
func wantRefused(t *testing.T, how, sql string, err error) {
	t.Helper()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "25006" || !strings.HasPrefix(pe.Message, "refused by the read-only proxy: ") {
		t.Errorf("%s %q: got %v, want the proxy's refusal", how, sql, err)
	}
}

func TestWritesRefused(t *testing.T) {
	srv := startPostgres(t)
	tp := serveProxy(t, srv, t.Context())
	ctx := t.Context()
	writes := corpus(t, "writes.sql")
	if len(writes) < 120 {
		t.Fatalf("the write corpus has %d attempts, want at least 120", len(writes))
	}
	before := checksum(t, srv)
	c := dialProxy(t, tp, "")
	for i, sql := range writes {
		_, err := c.Exec(ctx, sql).ReadAll()
		wantRefused(t, "simple", sql, err)
		c.Exec(ctx, "rollback").ReadAll()
		_, err = c.Prepare(ctx, fmt.Sprintf("w%d", i), sql, nil)
		wantRefused(t, "Parse", sql, err)
		res := c.ExecParams(ctx, sql, nil, nil, nil, nil).Read()
		wantRefused(t, "extended", sql, res.Err)
		// The refused Parse created no statement.
		res = c.ExecPrepared(ctx, fmt.Sprintf("w%d", i), nil, nil, nil).Read()
		if res.Err == nil {
			t.Errorf("Bind of refused statement w%d (%q) succeeded", i, sql)
		}
		if _, err := c.Exec(ctx, "select 1").ReadAll(); err != nil {
			t.Fatalf("after %q the session is not usable: %v", sql, err)
		}
	}
	if after := checksum(t, srv); after != before {
		t.Errorf("the data changed through the proxy (-before +after):\n%s", cmp.Diff(before, after))
	}
	t.Logf("%d write attempts refused over simple and extended protocol", len(writes))
}

func TestFunctionCallRefused(t *testing.T) {
	srv := startPostgres(t)
	hj := rawClient(t, srv)
	f := hj.Frontend
	f.Send(&pgproto3.FunctionCall{Function: 1574}) // nextval(regclass)
	f.Send(&pgproto3.Query{String: "select 41 + 1"})
	if err := f.Flush(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for ready := 0; ready < 2; {
		msg, err := f.Receive()
		if err != nil {
			t.Fatal(err)
		}
		switch m := msg.(type) {
		case *pgproto3.ErrorResponse:
			got = append(got, "error "+m.Code)
		case *pgproto3.DataRow:
			got = append(got, "row "+string(m.Values[0]))
		case *pgproto3.ReadyForQuery:
			got = append(got, "ready")
			ready++
		}
	}
	if diff := cmp.Diff([]string{"error 25006", "ready", "row 42", "ready"}, got); diff != "" {
		t.Errorf("FunctionCall then a query (-want +got):\n%s", diff)
	}
}

// resultText renders what a client sees of a query: columns, rows, tags
// and the error, if any.
func resultText(res []*pgconn.Result, err error) string {
	var b strings.Builder
	for _, r := range res {
		for _, fd := range r.FieldDescriptions {
			fmt.Fprintf(&b, "%s:%d ", fd.Name, fd.DataTypeOID)
		}
		b.WriteString("\n")
		for _, row := range r.Rows {
			for _, v := range row {
				fmt.Fprintf(&b, "%q ", v)
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s %v\n", r.CommandTag, r.Err)
	}
	if err != nil {
		fmt.Fprintf(&b, "error: %v\n", err)
	}
	return b.String()
}

func TestReadsMatchDirect(t *testing.T) {
	srv := startPostgres(t)
	tp := serveProxy(t, srv, t.Context())
	ctx := t.Context()
	reads := corpus(t, "reads.sql")
	if len(reads) < 50 {
		t.Fatalf("the read corpus has %d queries, want at least 50", len(reads))
	}
	direct, err := pgconn.Connect(ctx, srv.connString()+" options='-c default_transaction_read_only=on'")
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	proxied, err := pgconn.Connect(ctx, tp.connString())
	if err != nil {
		t.Fatal(err)
	}
	defer proxied.Close(ctx)
	failed := 0
	defer func() {
		if failed > 2 {
			t.Errorf("%d reads failed on the direct connection too; the corpus should be reads that work", failed)
		}
	}()
	for _, sql := range reads {
		res, err := direct.Exec(ctx, sql).ReadAll()
		if err != nil {
			failed++
		}
		want := resultText(res, err)
		got := resultText(proxied.Exec(ctx, sql).ReadAll())
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("simple %q (-direct +proxy):\n%s", sql, diff)
		}
		if strings.Contains(sql, ";") {
			continue
		}
		rw := direct.ExecParams(ctx, sql, nil, nil, nil, nil).Read()
		rg := proxied.ExecParams(ctx, sql, nil, nil, nil, nil).Read()
		if diff := cmp.Diff(resultText([]*pgconn.Result{rw}, nil), resultText([]*pgconn.Result{rg}, nil)); diff != "" {
			t.Errorf("extended %q (-direct +proxy):\n%s", sql, diff)
		}
	}
}

func TestPgx(t *testing.T) {
	srv := startPostgres(t)
	tp := serveProxy(t, srv, t.Context())
	ctx := t.Context()
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
		t.Run(mode.String(), func(t *testing.T) {
			cfg, err := pgx.ParseConfig(tp.connString())
			if err != nil {
				t.Fatal(err)
			}
			cfg.DefaultQueryExecMode = mode
			c, err := pgx.ConnectConfig(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(ctx)
			var name string
			if err := c.QueryRow(ctx, "select name from accounts where id = $1", 7).Scan(&name); err != nil || name != "user7" {
				t.Fatalf("select by id: %q, %v", name, err)
			}
			_, err = c.Exec(ctx, "update accounts set balance = $1 where id = $2", 0, 7)
			wantRefused(t, mode.String(), "update", err)
			var n int
			if err := c.QueryRow(ctx, "select count(*) from accounts where balance > $1", 100).Scan(&n); err != nil || n != 41 {
				t.Fatalf("count after refusal: %d, %v", n, err)
			}
			tx, err := c.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadWrite})
			wantRefused(t, mode.String(), "begin read write", err)
			if err == nil {
				tx.Rollback(ctx)
			}
		})
	}
}

func TestPsql(t *testing.T) {
	srv := startPostgres(t)
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql is not installed")
	}
	tp := serveProxy(t, srv, t.Context())
	host, port, _ := strings.Cut(tp.addr, ":")
	cmd := exec.CommandContext(t.Context(), psql, "-h", host, "-p", port, "-U", "dev", "-d", "prod", "-XAt",
		"-c", "select 1", "-c", "select count(*) from accounts")
	cmd.Env = append(os.Environ(), "PGPASSWORD=", "PGSSLMODE=prefer")
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "1\n50\n" {
		t.Fatalf("psql select: %q, %v", out, err)
	}
	cmd = exec.CommandContext(t.Context(), psql, "-h", host, "-p", port, "-XAt", "-c", "delete from accounts")
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "refused by the read-only proxy") {
		t.Fatalf("psql delete: %q, %v", out, err)
	}
}

func TestGrantDeadlineCancels(t *testing.T) {
	srv := startPostgres(t)
	// The grant's deadline is on a fake clock, reached once the query runs
	// upstream, however slow the machine.
	clk := clocktest.New(time.Now())
	deadline := clk.Now().Add(time.Minute)
	grant, cancel := clock.WithDeadline(t.Context(), clk, deadline, context.DeadlineExceeded)
	defer cancel()
	tp := serveProxy(t, srv, grant)
	ctx := t.Context()
	c := dialProxy(t, tp, "")
	done := make(chan error, 1)
	go func() {
		_, err := c.Exec(ctx, "select pg_sleep(60) /* devenv-deadline */").ReadAll()
		done <- err
	}()
	direct, err := pgconn.Connect(ctx, srv.connString())
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	testutil.Eventually(t, "the query running upstream", func() bool { return running(t, direct, "devenv-deadline") == 1 })
	clk.Set(deadline)
	if err := testutil.Receive(t, "the query's end at the grant's deadline", done); err == nil {
		t.Fatal("pg_sleep(60) at the grant's deadline returned no error")
	}
	testutil.Eventually(t, "the upstream session to end with the grant", func() bool { return running(t, direct, "devenv-deadline") == 0 })
}

func TestClientCancel(t *testing.T) {
	srv := startPostgres(t)
	tp := serveProxy(t, srv, t.Context())
	ctx := t.Context()
	c := dialProxy(t, tp, "")
	took, err := cancelOnceRunning(t, srv, c, "select pg_sleep(10) /* devenv-cancel */", "devenv-cancel")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" || took > 5*time.Second {
		t.Fatalf("cancelled pg_sleep: %v after %v", err, took)
	}
	if _, err := c.Exec(ctx, "select 1").ReadAll(); err != nil {
		t.Fatalf("after a cancel the session is not usable: %v", err)
	}
}

func TestAudit(t *testing.T) {
	srv := startPostgres(t)
	tp := serveProxy(t, srv, t.Context())
	ctx := t.Context()
	c := dialProxy(t, tp, "")
	c.Exec(ctx, "select * from accounts where name = 'secret-literal'; select * from accounts").ReadAll()
	c.Exec(ctx, "delete from accounts where id = 99").ReadAll()
	c.ExecParams(ctx, "select id from accounts where id < $1", [][]byte{[]byte("4")}, nil, nil, nil).Read()
	c.Close(ctx)
	tp.settled(t)
	var got []string
	for _, op := range tp.operations() {
		got = append(got, fmt.Sprintf("%s %s rows=%s reason=%s", op.Verdict, op.Detail["statement"], op.Detail["rows"], op.Detail["reason"]))
	}
	want := []string{
		"allowed select * from accounts where name = $1 rows=0 reason=",
		"allowed select * from accounts rows=50 reason=",
		"refused delete from accounts where id = $1 rows= reason=DELETE is refused: only reads, SHOW, safe SET and read-only transaction control are allowed",
		"allowed select id from accounts where id < $1 rows=3 reason=",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
}

// TestClientVanishedCancels drops a client's connection while its query
// runs: the proxy cancels the query rather than leave it running upstream.
func TestClientVanishedCancels(t *testing.T) {
	srv := startPostgres(t)
	hj := rawClient(t, srv)
	ctx := t.Context()
	hj.Frontend.Send(&pgproto3.Query{String: "select pg_sleep(30) /* devenv-vanished */"})
	if err := hj.Frontend.Flush(); err != nil {
		t.Fatal(err)
	}
	direct, err := pgconn.Connect(ctx, srv.connString())
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	testutil.Eventually(t, "the query running upstream", func() bool { return running(t, direct, "devenv-vanished") == 1 })
	hj.Conn.Close()
	testutil.Eventually(t, "the query of a vanished client to end upstream", func() bool { return running(t, direct, "devenv-vanished") == 0 })
}

// rawClient logs in through a fresh proxy of srv and takes the connection
// over, to send protocol messages by hand; it is closed when the test ends.
func rawClient(t *testing.T, srv *pgServer) *pgconn.HijackedConn {
	t.Helper()
	tp := serveProxy(t, srv, t.Context())
	c, err := pgconn.Connect(t.Context(), tp.connString())
	if err != nil {
		t.Fatal(err)
	}
	hj, err := c.Hijack()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hj.Conn.Close() })
	return hj
}

// TestQueryInStartupPacket sends the StartupMessage and a Query in one
// write, as a pipelining client may: the query is answered after the
// greeting, and the session goes on.
func TestQueryInStartupPacket(t *testing.T) {
	srv := startPostgres(t)
	tp := serveProxy(t, srv, t.Context())
	conn, err := net.DialTimeout("tcp", tp.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	buf, err := (&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": "dev", "database": "prod"}}).Encode(nil)
	if err != nil {
		t.Fatal(err)
	}
	if buf, err = (&pgproto3.Query{String: "select 41 + 1"}).Encode(buf); err != nil {
		t.Fatal(err)
	}
	if buf, err = (&pgproto3.Query{String: "delete from accounts"}).Encode(buf); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(buf); err != nil {
		t.Fatal(err)
	}
	f := pgproto3.NewFrontend(conn, conn)
	var got []string
	for ready := 0; ready < 3; {
		msg, err := f.Receive()
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		switch m := msg.(type) {
		case *pgproto3.AuthenticationOk:
			got = append(got, "auth ok")
		case *pgproto3.ErrorResponse:
			got = append(got, "error "+m.Code)
		case *pgproto3.DataRow:
			got = append(got, "row "+string(m.Values[0]))
		case *pgproto3.ReadyForQuery:
			got = append(got, "ready")
			ready++
		}
	}
	if diff := cmp.Diff([]string{"auth ok", "ready", "row 42", "ready", "error 25006", "ready"}, got); diff != "" {
		t.Errorf("startup and two queries in one packet (-want +got):\n%s", diff)
	}
}
