//go:build cgo

package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestSessionTimeouts: the upstream session carries the timeouts, RESET
// returns to them, and the server enforces them: a long query is
// cancelled, a lock wait gives up, an idle open transaction is ended;
// judged by pg_stat_activity and the lock holder, not by the proxy.
func TestSessionTimeouts(t *testing.T) {
	srv := startPostgres(t)
	admin := connectAs(t, srv, "postgres", testPassword, "postgres")

	defaults := serveProxy(t, srv, t.Context())
	c := dialProxy(t, defaults, "timeouts-defaults")
	for setting, want := range map[string]string{"statement_timeout": "30s", "idle_in_transaction_session_timeout": "1min", "lock_timeout": "1s"} {
		if got := showSetting(t, c, setting); got != want {
			t.Errorf("%s = %s, want %s", setting, got, want)
		}
	}

	tp := serveProxyWith(t, t.Context(), Options{Upstream: srv.addr, User: "postgres", Password: testPassword, Database: "postgres",
		LoginCanWrite: true, StatementTimeout: 300 * time.Millisecond, IdleInTransactionTimeout: 400 * time.Millisecond,
		LockTimeout: 200 * time.Millisecond})
	c = dialProxy(t, tp, "timeouts-short")
	if _, err := c.Exec(t.Context(), "reset statement_timeout").ReadAll(); err != nil {
		t.Fatal(err)
	}
	if got := showSetting(t, c, "statement_timeout"); got != "300ms" {
		t.Errorf("statement_timeout after RESET = %s, want the session's 300ms", got)
	}

	t.Run("statement", func(t *testing.T) {
		start := time.Now()
		_, err := c.Exec(t.Context(), "select pg_sleep(60)").ReadAll()
		if code(err) != "57014" || time.Since(start) > 30*time.Second {
			t.Errorf("pg_sleep(60) under a 300ms statement timeout: %v after %v, want 57014", err, time.Since(start))
		}
		if n := serverCount(t, admin, "query = 'select pg_sleep(60)' and state = 'active'"); n != "0" {
			t.Errorf("%s pg_sleep(60) still running on the server", n)
		}
	})
	t.Run("lock", func(t *testing.T) {
		runSQL(t, admin, "create table if not exists timeouts_locked (id int)")
		holder := connectAs(t, srv, "postgres", testPassword, "postgres")
		runSQL(t, holder, "begin; lock table timeouts_locked in access exclusive mode")
		defer runSQL(t, holder, "rollback")
		_, err := c.Exec(t.Context(), "select count(*) from timeouts_locked").ReadAll()
		if code(err) != "55P03" {
			t.Errorf("a read behind an exclusive lock: %v, want 55P03 (lock timeout)", err)
		}
		if n := serverCount(t, admin, "wait_event_type = 'Lock' and application_name = 'timeouts-short'"); n != "0" {
			t.Errorf("%s sessions of the proxy still wait on the lock", n)
		}
	})
	t.Run("idle in transaction", func(t *testing.T) {
		idle := dialProxy(t, tp, "timeouts-idle")
		if _, err := idle.Exec(t.Context(), "begin; select 1").ReadAll(); err != nil {
			t.Fatal(err)
		}
		// The server ends the session with a FATAL error: the connection
		// closes under a client that only waits.
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		err := idle.WaitForNotification(ctx)
		if ctx.Err() != nil {
			t.Fatalf("the idle open transaction was not ended within 30 s: %v", err)
		}
		t.Logf("the idle session ended: %v", err)
		// Its backend may take a moment to leave pg_stat_activity; each
		// look is a round trip to the server, so the loop needs no sleep.
		for deadline := time.Now().Add(10 * time.Second); serverCount(t, admin, "application_name = 'timeouts-idle'") != "0"; {
			if time.Now().After(deadline) {
				t.Fatal("the idle session's backend is still on the server")
			}
		}
	})
}

// dialProxy connects to tp as application app ("": none); the connection
// closes with the test.
func dialProxy(t *testing.T, tp *testProxy, app string) *pgconn.PgConn {
	t.Helper()
	conn := tp.connString()
	if app != "" {
		conn += " application_name=" + app
	}
	c, err := pgconn.Connect(t.Context(), conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func showSetting(t *testing.T, c *pgconn.PgConn, name string) string {
	t.Helper()
	res, err := c.Exec(t.Context(), "show "+name).ReadAll()
	if err != nil || len(res) != 1 || len(res[0].Rows) != 1 {
		t.Fatalf("show %s: %v", name, err)
	}
	return string(res[0].Rows[0][0])
}

func serverCount(t *testing.T, admin *pgconn.PgConn, where string) string {
	t.Helper()
	res, err := admin.Exec(context.Background(), "select count(*) from pg_stat_activity where "+where).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(res[0].Rows[0][0]))
}

func code(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return fmt.Sprint(err)
}
