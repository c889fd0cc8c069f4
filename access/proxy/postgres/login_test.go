//go:build cgo

package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestInspectLogin grants each kind of write to a login of its own on the
// real server and checks that the report names exactly that, and that the
// role ReadOnlyRoleSQL makes is reported read-only.
func TestInspectLogin(t *testing.T) {
	srv := startPostgres(t)
	admin := connectAs(t, srv, "postgres", testPassword, "postgres")
	runSQL(t, admin, `drop database if exists logincheck`)
	runSQL(t, admin, `create database logincheck`)
	t.Cleanup(func() { runSQL(t, admin, `drop database if exists logincheck with (force)`) })
	db := connectAs(t, srv, "postgres", testPassword, "logincheck")
	runSQL(t, db, `create schema app;
create table app.orders (id int, note text);
create table app.audit (id int);
create sequence app.order_ids;
create function app.total() returns int language sql stable as 'select 1'`)

	const pw = "login-test-pw"
	tests := []struct {
		name  string
		setup string // %[1]s is the role, created with LOGIN and a password first
		want  []string
	}{
		{name: "read-only recipe", setup: "", want: nil},
		{name: "insert and a column's update", setup: `grant usage on schema app to %[1]s;
grant insert, update (note) on app.orders to %[1]s`, want: []string{"INSERT, UPDATE on app.orders"}},
		{name: "granted to public", setup: `grant delete on app.audit to public`, want: []string{"DELETE on app.audit"}},
		{name: "sequence", setup: `grant usage on sequence app.order_ids to %[1]s`,
			want: []string{"nextval/setval on sequence app.order_ids"}},
		{name: "signal backends", setup: `grant pg_signal_backend to %[1]s`, want: []string{"member of pg_signal_backend"}},
		{name: "server program", setup: `grant pg_execute_server_program to %[1]s`, want: []string{"member of pg_execute_server_program"}},
		{name: "create in a schema", setup: `grant create on schema app to %[1]s`, want: []string{"CREATE on schema app"}},
		{name: "create in the database", setup: `grant create on database logincheck to %[1]s`,
			want: []string{"CREATE on database logincheck"}},
		{name: "owns a function", setup: `alter function app.total() owner to %[1]s`,
			want: []string{"owns function app.total (can replace its body)"}},
		{name: "a role it can become without inheriting", setup: `create role %[1]s_w nologin;
grant truncate on app.orders to %[1]s_w;
alter role %[1]s noinherit;
grant %[1]s_w to %[1]s`, want: []string{"TRUNCATE on app.orders (through role %[1]s_w)"}},
		{name: "attributes", setup: `alter role %[1]s createdb createrole bypassrls`,
			want: []string{"BYPASSRLS", "CREATEROLE", "CREATEDB"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			role := fmt.Sprintf("login_probe_%d", i)
			t.Cleanup(func() {
				runSQL(t, db, `alter function app.total() owner to postgres; revoke delete on app.audit from public`)
				for _, r := range []string{role + "_w", role} {
					runSQL(t, db, fmt.Sprintf(`do $$ begin if exists (select from pg_roles where rolname = '%[1]s') then
  execute 'drop owned by %[1]s cascade'; execute 'drop role %[1]s'; end if; end $$`, r))
				}
			})
			recipe := strings.Replace(ReadOnlyRoleSQL(role, "logincheck"), "choose-a-secret", pw, 1)
			runSQL(t, db, recipe)
			if tt.setup != "" {
				runSQL(t, db, strings.ReplaceAll(tt.setup, "%[1]s", role))
			}
			r, err := InspectLogin(t.Context(), connectAs(t, srv, role, pw, "logincheck"))
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, strings.ReplaceAll(w, "%[1]s", role))
			}
			if diff := cmp.Diff(want, r.Writes); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			if r.User != role || r.Database != "logincheck" || r.ReadOnly() != (len(want) == 0) {
				t.Errorf("report %+v", r)
			}
		})
	}
}

// TestSessionsCheckTheLogin: the proxy serves a read-only login, refuses
// every new session once the login is given a write (at the start of the
// session, in the client's protocol), and serves it again only when the
// target accepts a login that can write.
func TestSessionsCheckTheLogin(t *testing.T) {
	srv := startPostgres(t)
	admin := connectAs(t, srv, "postgres", testPassword, "postgres")
	const role, pw = "login_session_probe", "login-session-pw"
	runSQL(t, admin, `create table if not exists login_session_t (id int)`)
	t.Cleanup(func() {
		runSQL(t, admin, `do $$ begin if exists (select from pg_roles where rolname = '`+role+`') then
  execute 'drop owned by `+role+` cascade'; execute 'drop role `+role+`'; end if; end $$; drop table login_session_t`)
	})
	runSQL(t, admin, strings.Replace(ReadOnlyRoleSQL(role, "postgres"), "choose-a-secret", pw, 1))
	opts := Options{Upstream: srv.addr, User: role, Password: pw, Database: "postgres"}
	strict := serveProxyWith(t, t.Context(), opts)
	opts.LoginCanWrite = true
	accepting := serveProxyWith(t, t.Context(), opts)

	session := func(tp *testProxy) error {
		c, err := pgconn.Connect(t.Context(), tp.connString())
		if err != nil {
			return err
		}
		defer c.Close(context.Background())
		_, err = c.Exec(t.Context(), "select count(*) from login_session_t").ReadAll()
		return err
	}
	if err := session(strict); err != nil {
		t.Fatalf("a read-only login was not served: %v", err)
	}
	runSQL(t, admin, `grant insert on login_session_t to `+role)
	err := session(strict)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "08004" || !strings.Contains(pgErr.Message, "INSERT on public.login_session_t") ||
		!strings.Contains(pgErr.Message, "login_can_write: accept") {
		t.Errorf("a session with a login that can write: %v, want 08004 naming the grant and the way out", err)
	}
	if err := session(accepting); err != nil {
		t.Errorf("a target that accepts a login that can write refused it: %v", err)
	}
}

func TestInspectLoginSuperuser(t *testing.T) {
	srv := startPostgres(t)
	r, err := InspectLogin(t.Context(), connectAs(t, srv, "postgres", testPassword, "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"SUPERUSER"}, r.Writes); diff != "" {
		t.Errorf("a superuser's writes (-want +got):\n%s", diff)
	}
	err = &LoginError{Report: r}
	if !errors.Is(err, ErrLoginCanWrite) || !strings.Contains(err.Error(), "postgres on database postgres: SUPERUSER;") ||
		!strings.Contains(err.Error(), "login_can_write: accept") {
		t.Errorf("error %q", err)
	}
}

func TestDescribeLoginNamesAFewOfEachKind(t *testing.T) {
	var rows []loginRow
	for i := range 8 {
		rows = append(rows, loginRow{kind: "table", role: "app", object: fmt.Sprintf("s.t%d", i), privs: "INSERT"})
	}
	rows = append(rows, loginRow{kind: "attribute", role: "app", object: "createdb"},
		loginRow{kind: "attribute", role: "admin", object: "replication"})
	got := describeLogin("app", rows)
	want := []string{"REPLICATION (through role admin)", "CREATEDB", "INSERT on s.t0", "INSERT on s.t1", "INSERT on s.t2",
		"INSERT on s.t3", "INSERT on s.t4", "and 3 more of the kind"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	rows = append(rows, loginRow{kind: "attribute", role: "admin", object: "superuser"})
	got = describeLogin("app", rows)
	want = []string{"SUPERUSER (through role admin)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func connectAs(t *testing.T, srv *pgServer, user, password, database string) *pgconn.PgConn {
	t.Helper()
	host, port, _ := net.SplitHostPort(srv.addr)
	c, err := pgconn.Connect(t.Context(), fmt.Sprintf("host=%s port=%s user=%s password=%s dbname=%s sslmode=disable",
		host, port, user, password, database))
	if err != nil {
		t.Fatalf("connecting as %s: %v", user, err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func runSQL(t *testing.T, c *pgconn.PgConn, sql string) {
	t.Helper()
	// Not t.Context(): cleanups run after it is cancelled.
	if _, err := c.Exec(context.Background(), sql).ReadAll(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// TestReadOnlyRoleHoldsWithoutTheProxy is the layer under the proxy tested
// on its own: every statement of the writes corpus, sent straight to the
// server (no proxy, no policy) as the role ReadOnlyRoleSQL makes. Any role
// may create large objects, even in a read-only transaction, so the report
// notes that, and the corpus creates some; with the recipe's REVOKE applied
// as well, it changes nothing the checksum sees.
func TestReadOnlyRoleHoldsWithoutTheProxy(t *testing.T) {
	srv := startPostgres(t)
	admin := connectAs(t, srv, "postgres", testPassword, "postgres")
	const role, pw = "corpus_readonly", "corpus-readonly-pw"
	const revoke = `revoke execute on function lo_create(oid), lo_creat(integer), lo_from_bytea(oid, bytea),
  lo_import(text), lo_import(text, oid) from public`
	t.Cleanup(func() {
		runSQL(t, admin, strings.Replace(strings.Replace(revoke, "revoke", "grant", 1), "from public", "to public", 1))
		runSQL(t, admin, `do $$ begin if exists (select from pg_roles where rolname = '`+role+`') then
  execute 'drop owned by `+role+` cascade'; execute 'drop role `+role+`'; end if; end $$`)
	})
	runSQL(t, admin, strings.Replace(ReadOnlyRoleSQL(role, "postgres"), "choose-a-secret", pw, 1))
	r, err := InspectLogin(t.Context(), connectAs(t, srv, role, pw, "postgres"))
	if err != nil || !r.ReadOnly() || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "may create large objects") {
		t.Errorf("the recipe's role before the REVOKE: %+v %v, want read-only with a note on large objects", r, err)
	}
	changed := runCorpusAs(t, srv, role, pw)
	creates := regexp.MustCompile(`\blo_(create?|from_bytea|import)\(`)
	if len(changed) == 0 || slices.ContainsFunc(changed, func(sql string) bool { return !creates.MatchString(sql) }) {
		t.Errorf("without the REVOKE, the statements that changed the server: %q; want only ones that create large objects", changed)
	}
	runSQL(t, admin, revoke)
	if r, err := InspectLogin(t.Context(), connectAs(t, srv, role, pw, "postgres")); err != nil || len(r.Notes) != 0 {
		t.Errorf("after the REVOKE: %+v %v, want no note", r, err)
	}
	before := checksum(t, srv)
	if changed := runCorpusAs(t, srv, role, pw); len(changed) != 0 {
		t.Errorf("with the REVOKE, statements changed the server as the read-only role: %q", changed)
	}
	wantUnchanged(t, srv, before, "the writes corpus as the read-only role, without the proxy")
}

// runCorpusAs sends each statement of the writes corpus straight to the
// server, each on a fresh connection as user, and returns those after which
// the checksum changed.
func runCorpusAs(t *testing.T, srv *pgServer, user, password string) []string {
	t.Helper()
	host, port, _ := net.SplitHostPort(srv.addr)
	conn := fmt.Sprintf("host=%s port=%s user=%s password=%s dbname=postgres sslmode=disable statement_timeout=2000 application_name=corpus_run",
		host, port, user, password)
	admin := connectAs(t, srv, "postgres", testPassword, "postgres")
	sum := checksum(t, srv)
	var changed []string
	for _, sql := range corpus(t, "writes.sql") {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		c, err := pgconn.Connect(ctx, conn)
		if err != nil {
			cancel()
			t.Fatalf("connecting as %s: %v", user, err)
		}
		c.Exec(ctx, sql).ReadAll() // refused or harmless: the checksum judges
		c.Close(context.Background())
		cancel()
		// The backend ends a moment after the connection closes, releasing
		// what the session held (an advisory lock): judge after it has gone.
		// Each look is a round trip, so the loop needs no sleep.
		for deadline := time.Now().Add(10 * time.Second); serverCount(t, admin, "application_name = 'corpus_run'") != "0"; {
			if time.Now().After(deadline) {
				t.Fatalf("the session of %q did not end", sql)
			}
		}
		if now := checksum(t, srv); now != sum {
			changed, sum = append(changed, sql), now
		}
	}
	return changed
}
