//go:build linux

package gateway_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/devenv-dev/devenv/internal/netnstest"
	"github.com/devenv-dev/devenv/internal/testutil"
)

// The production PostgreSQL on the gateway host's loopback.
const (
	pgUpstream   = "127.0.0.1:5432"
	pgSuperPass  = "super-secret-91d3" // the superuser's: the test's direct view of the server
	pgLogin      = "gateway_login"     // the role the gateway logs in as
	pgLoginPass  = "gw-secret-4e7a"    // its password, known to the gateway only
	pgDatabase   = "orders"
	pgTableRows  = 1000
	pgBenchScale = 1
)

// pgServer is a PostgreSQL cluster the test made, running in a host.
type pgServer struct {
	bin  string // the directory of initdb, postgres and pgbench
	host *netnstest.Host
	dir  string
}

// startPostgres initialises a cluster and runs it on pgUpstream inside h,
// as the postgres user. The gateway's role may read and write every table
// of orders, so that the read-only guarantee the tests check is the
// gateway's alone, not the role's.
func startPostgres(t *testing.T, h *netnstest.Host) *pgServer {
	t.Helper()
	bin := filepath.Dir(needTool(t, "initdb", "postgresql", "/usr/lib/postgresql/*/bin/initdb"))
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Skipf("no postgres user to run the server as (Debian: apt-get install postgresql): %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	cred := &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	dir, err := os.MkdirTemp("", "devenv-e2e-pg-") // not t.TempDir: its parent is root's alone
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	s := &pgServer{bin: bin, host: h, dir: dir}
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte(pgSuperPass), 0o644); err != nil {
		t.Fatal(err)
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", s.data(), "-U", "postgres", "--pwfile", pw, "-N",
		"--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C")
	initdb.SysProcAttr = cred
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	s.run(t, cred)
	s.setup(t)
	return s
}

func (s *pgServer) data() string { return filepath.Join(s.dir, "data") }

// run starts postgres inside the host; the test's end stops it (SIGQUIT:
// immediate shutdown) before the namespaces go away.
func (s *pgServer) run(t *testing.T, cred *syscall.SysProcAttr) {
	t.Helper()
	logf, err := os.Create(filepath.Join(s.dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(s.bin, "postgres"), "-D", s.data(), "-p", "5432", "-k", s.dir, "-h", "127.0.0.1",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	cmd.SysProcAttr, cmd.Stdout, cmd.Stderr = cred, logf, logf
	if err := s.host.Do(cmd.Start); err != nil {
		t.Fatalf("starting postgres: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("--- postgres log:\n%s", b)
		}
	})
	testutil.EventuallyNoError(t, "postgres up", func() error {
		c, err := s.super(t.Context(), "postgres")
		if err == nil {
			c.Close(t.Context())
		}
		return err
	})
}

// super connects to db as the superuser, from inside the gateway host.
func (s *pgServer) super(ctx context.Context, db string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=127.0.0.1 port=5432 user=postgres password=%s dbname=%s sslmode=disable",
		pgSuperPass, db))
	if err != nil {
		return nil, err
	}
	cfg.DialFunc = hostDialer{s.host}.DialContext
	return pgx.ConnectConfig(ctx, cfg)
}

// setup makes the gateway's role, the orders database with table t, and
// pgbench's tables, run directly as the superuser.
func (s *pgServer) setup(t *testing.T) {
	t.Helper()
	s.exec(t, "postgres",
		fmt.Sprintf("create role %s login password '%s'", pgLogin, pgLoginPass),
		"create database "+pgDatabase)
	s.exec(t, pgDatabase,
		"create table t (id int primary key, v text not null)",
		fmt.Sprintf("insert into t select g, 'row ' || g from generate_series(1, %d) g", pgTableRows))
	if out, err := tool(s.host, time.Minute, []string{"PGPASSWORD=" + pgSuperPass}, filepath.Join(s.bin, "pgbench"),
		"-i", "-q", "-s", strconv.Itoa(pgBenchScale), "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", pgDatabase); err != nil {
		t.Fatalf("pgbench -i as the superuser: %v\n%s", err, out)
	}
	s.exec(t, pgDatabase, "grant select, insert, update, delete, truncate on all tables in schema public to "+pgLogin)
}

// exec runs statements in db as the superuser.
func (s *pgServer) exec(t *testing.T, db string, stmts ...string) {
	t.Helper()
	c, err := s.super(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(t.Context())
	for _, st := range stmts {
		if _, err := c.Exec(t.Context(), st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
}

// rows runs a query in orders as the superuser and returns its rows as
// text, for comparing with what the tunnel returns.
func (s *pgServer) rows(t *testing.T, sql string, args ...any) [][]string {
	t.Helper()
	c, err := s.super(t.Context(), pgDatabase)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(t.Context())
	got, err := textRows(t.Context(), c, sql, args...)
	if err != nil {
		t.Fatalf("%s directly: %v", sql, err)
	}
	return got
}

// textRows reads every row of a query with each value as text.
func textRows(ctx context.Context, c *pgx.Conn, sql string, args ...any) ([][]string, error) {
	rs, err := c.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	var out [][]string
	for rs.Next() {
		vals, err := rs.Values()
		if err != nil {
			rs.Close()
			return nil, err
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = fmt.Sprint(v)
		}
		out = append(out, row)
	}
	return out, rs.Err()
}

// one is the single value of a query run as the superuser.
func (s *pgServer) one(t *testing.T, sql string) string {
	t.Helper()
	rs := s.rows(t, sql)
	if len(rs) != 1 || len(rs[0]) != 1 {
		t.Fatalf("%s: %v, want one value", sql, rs)
	}
	return strings.TrimSpace(rs[0][0])
}
