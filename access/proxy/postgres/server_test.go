//go:build cgo

package postgres

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/devenv-dev/devenv/access/proxy"
	"github.com/devenv-dev/devenv/internal/testutil"
)

// probeSlot is a logical replication slot made at setup, for attacks that
// would consume, advance or hold it.
const probeSlot = "devenv_probe_slot"

// testPassword is the superuser's; the upstream asks for SCRAM-SHA-256.
const testPassword = "s3cret-test"

// pgServer is one real PostgreSQL started for the package's tests.
type pgServer struct {
	addr string
	dir  string
	ca   []byte // PEM of the CA that signed the server's certificate (ssl is on)
	cmd  *exec.Cmd
	halt *exec.Cmd // pg_ctl stop -m immediate, as the server's user
}

var (
	serverOnce sync.Once
	server     *pgServer
	serverErr  error
)

// pgBinDir finds the directory of initdb and postgres, or "".
func pgBinDir() string {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(m) > 0 {
		return filepath.Dir(m[len(m)-1])
	}
	return ""
}

// startPostgres starts a server once for all tests; it lives until
// TestMain's cleanup. As root it runs as the postgres user.
func startPostgres(t *testing.T) *pgServer {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a real PostgreSQL server; skipped with -short")
	}
	bin := pgBinDir()
	if bin == "" {
		t.Skip("PostgreSQL binaries (initdb, postgres) are not installed; apt-get install postgresql to run this test")
	}
	serverOnce.Do(func() { server, serverErr = launch(bin) })
	if serverErr != nil {
		t.Fatal(serverErr)
	}
	return server
}

// launch starts the server in a directory of its own, removed when it
// stops or fails to start.
func launch(bin string) (*pgServer, error) {
	dir, err := os.MkdirTemp("", "devenv-pg-")
	if err != nil {
		return nil, err
	}
	s, err := launchIn(bin, dir)
	if err != nil {
		os.RemoveAll(dir)
	}
	return s, err
}

func launchIn(bin, dir string) (*pgServer, error) {
	run := func(name string, args ...string) *exec.Cmd { return exec.Command(filepath.Join(bin, name), args...) }
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs a postgres user to drop to: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		run = func(name string, args ...string) *exec.Cmd {
			return exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(bin, name)}, args...)...)
		}
	}
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte(testPassword), 0o644); err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if out, err := run("initdb", "-D", data, "-U", "postgres", "--pwfile", pw, "--auth-local=trust",
		"--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	// postgres cannot bind port 0 and say which it got: pick one.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ca, certFile, keyFile, err := writeServerCert(dir)
	if err != nil {
		return nil, err
	}
	cmd := run("postgres", "-D", data, "-p", strconv.Itoa(port), "-k", dir, "-h", "127.0.0.1",
		"-c", "fsync=off", "-c", "max_prepared_transactions=5", "-c", "wal_level=logical",
		"-c", "ssl=on", "-c", "ssl_cert_file="+certFile, "-c", "ssl_key_file="+keyFile)
	// The log lives in the server's directory, removed with it: a failure
	// to start quotes it instead of pointing at a file left behind.
	logName := filepath.Join(dir, "postgres.log")
	logf, err := os.Create(logName)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting postgres: %w", err)
	}
	s := &pgServer{addr: fmt.Sprintf("127.0.0.1:%d", port), dir: dir, ca: ca, cmd: cmd,
		halt: run("pg_ctl", "stop", "-m", "immediate", "-D", data)}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		c, err := pgconn.Connect(ctx, s.connString())
		if err == nil {
			c.Close(ctx)
			break
		}
		if ctx.Err() != nil {
			log, _ := os.ReadFile(logName)
			s.stop()
			return nil, fmt.Errorf("postgres did not come up: %w; its log:\n%s", err, log)
		}
		time.Sleep(100 * time.Millisecond) // polls: postgres tells no one when it accepts connections, and launch (once for all tests) has no t for testutil
	}
	setup, err := os.ReadFile("testdata/setup.sql")
	if err != nil {
		s.stop()
		return nil, err
	}
	c, err := pgconn.Connect(ctx, s.connString())
	if err != nil {
		s.stop()
		return nil, err
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, string(setup)).ReadAll(); err != nil {
		s.stop()
		return nil, fmt.Errorf("loading testdata/setup.sql: %w", err)
	}
	// A logical slot for the attacks on slots to aim at; it cannot be
	// made in setup.sql's transaction, which has written.
	if _, err := c.Exec(ctx, "select pg_create_logical_replication_slot('"+probeSlot+"', 'test_decoding')").ReadAll(); err != nil {
		s.stop()
		return nil, fmt.Errorf("creating the probe slot: %w", err)
	}
	return s, nil
}

func (s *pgServer) connString() string {
	host, port, _ := net.SplitHostPort(s.addr)
	return fmt.Sprintf("host=%s port=%s user=postgres password=%s dbname=postgres sslmode=disable", host, port, testPassword)
}

func (s *pgServer) stop() {
	s.halt.Run()
	s.cmd.Wait()
	os.RemoveAll(s.dir)
}

// stopServer stops the shared server once the tests are done.
func stopServer() {
	if server != nil {
		server.stop()
	}
}

// testProxy serves a Proxy to server on a plain TCP listener, as the
// gateway would on a tunnel listener, and collects the audit records.
type testProxy struct {
	addr     string
	proxy    *Proxy
	sessions atomic.Int32 // Serve calls running
	mu       sync.Mutex
	ops      []proxy.Operation // guarded by mu
}

func serveProxy(t *testing.T, srv *pgServer, grant context.Context) *testProxy {
	t.Helper()
	return serveProxyWith(t, grant, Options{Upstream: srv.addr, User: "postgres", Password: testPassword, Database: "postgres",
		LoginCanWrite: true, AllowFunctions: testAllowFunctions}) // the tests' login can write: each layer is tested on its own
}

func serveProxyWith(t *testing.T, grant context.Context, opts Options) *testProxy {
	t.Helper()
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tp := &testProxy{addr: l.Addr().String(), proxy: p}
	t.Cleanup(func() { l.Close(); p.Close() })
	sess := proxy.Session{RequestID: "req-1", Requester: "dev@example.com", Target: "db",
		Record: func(op proxy.Operation) { tp.mu.Lock(); tp.ops = append(tp.ops, op); tp.mu.Unlock() }}
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			tp.sessions.Add(1)
			go func() {
				defer tp.sessions.Add(-1)
				defer conn.Close()
				p.Serve(grant, conn, sess)
			}()
		}
	}()
	return tp
}

func (tp *testProxy) connString() string {
	host, port, _ := net.SplitHostPort(tp.addr)
	return fmt.Sprintf("host=%s port=%s user=anyone password=ignored dbname=whatever sslmode=disable", host, port)
}

// settled waits until every session has ended, so that all their audit
// records are in; the test has closed its connections.
func (tp *testProxy) settled(t *testing.T) {
	t.Helper()
	testutil.Eventually(t, "the proxy's sessions to end after their clients left", func() bool { return tp.sessions.Load() == 0 })
}

// running counts the server's sessions, other than direct's own, whose
// query contains marker.
func running(t *testing.T, direct *pgconn.PgConn, marker string) int {
	t.Helper()
	res, err := direct.Exec(t.Context(), `select count(*) from pg_stat_activity where query like '%`+marker+
		`%' and pid <> pg_backend_pid()`).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(string(res[0].Rows[0][0]))
	return n
}

// cancelOnceRunning runs sql, which contains marker, on c, cancels it once
// it runs upstream (seen on a direct connection to srv) and returns what
// how long after the cancel the query ended, and what it returned.
func cancelOnceRunning(t *testing.T, srv *pgServer, c *pgconn.PgConn, sql, marker string) (time.Duration, error) {
	t.Helper()
	direct, err := pgconn.Connect(t.Context(), srv.connString())
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Exec(t.Context(), sql).ReadAll()
		done <- err
	}()
	testutil.Eventually(t, "the query running upstream", func() bool { return running(t, direct, marker) == 1 })
	start := time.Now()
	if err := c.CancelRequest(t.Context()); err != nil {
		t.Fatal(err)
	}
	err = testutil.Receive(t, "the cancelled query's end", done)
	return time.Since(start), err
}

func (tp *testProxy) operations() []proxy.Operation {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return append([]proxy.Operation(nil), tp.ops...)
}

// corpus reads a testdata file of one statement per line.
func corpus(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.ReplaceAll(line, `\n`, "\n"))
	}
	return out
}
