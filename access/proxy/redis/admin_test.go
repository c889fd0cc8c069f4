package redis

import (
	"strings"
	"testing"
	"time"
)

// TestAdminCommands runs testdata/admin.txt: the debugging reads reach
// the server, every other administrative command is refused and never
// runs (INFO commandstats by subcommand), and the server's state shows
// it: the slow log, the latency events, the configuration, the password,
// the statistics, the functions and the admin's connection are as they
// were, and no client was paused.
func TestAdminCommands(t *testing.T) {
	srv := startRedis(t)
	admin := srv.admin(t)
	seed(t, admin)
	for _, c := range []string{
		"CONFIG SET slowlog-log-slower-than 0",
		"CONFIG SET latency-monitor-threshold 1",
		"DEBUG SLEEP 0.02",
		"FUNCTION LOAD \"#!lua name=mylib\\nredis.register_function('myfunc', function() return 1 end)\"",
	} {
		if r := admin.pipeline(t, mustSplit(t, c))[0]; strings.HasPrefix(r, "-") {
			t.Fatalf("%s: %q", c, r)
		}
	}
	functions := admin.do(t, "FUNCTION", "LIST")
	latency := admin.do(t, "LATENCY", "LATEST")
	if !strings.Contains(latency, "command") {
		t.Fatalf("no latency event to keep: %q", latency)
	}
	adminID := strings.TrimSpace(strings.TrimPrefix(admin.do(t, "CLIENT", "ID"), ":"))
	addr, _ := proxied(t, t.Context(), srv)
	c := dial(t, addr)
	c.do(t, "PING")
	slowlog := commandCalls(t, admin, "set") // set by the seed; CONFIG RESETSTAT would zero it

	for _, cmds := range corpus(t, "admin.txt") {
		cmd := cmds[0]
		pass := strings.HasPrefix(cmd, "+")
		args := mustSplit(t, strings.TrimPrefix(cmd, "+"))
		stat := strings.ToLower(string(args[0]))
		if len(args) > 1 && stat != "role" && stat != "lastsave" {
			stat += "|" + strings.ToLower(string(args[1]))
		}
		before := commandCalls(t, admin, stat)
		r := c.pipeline(t, args)[0]
		after := commandCalls(t, admin, stat)
		refused := strings.HasPrefix(r, "-NOPERM this connection is read-only: ")
		switch {
		case pass && (refused || after != before+1):
			t.Errorf("%s: %.120q, the server ran it %d times; want it run once", cmd, r, after-before)
		case !pass && (!refused || after != before):
			t.Errorf("%s: %.120q, the server ran it %d times; want it refused", cmd, r, after-before)
		default:
			t.Logf("%-45.45s %.100q", cmd, r)
		}
		if strings.Contains(r, testPassword) {
			t.Errorf("%s: the reply shows the upstream password: %q", cmd, r)
		}
		if r := c.do(t, "PING"); r != "+PONG\r\n" {
			t.Fatalf("after %s: PING answered %q", cmd, r)
		}
	}

	start := time.Now()
	if r := admin.do(t, "PING"); r != "+PONG\r\n" || time.Since(start) > time.Second {
		t.Errorf("the admin's PING: %q after %v: its connection was killed or paused", r, time.Since(start))
	}
	if id := strings.TrimSpace(strings.TrimPrefix(admin.do(t, "CLIENT", "ID"), ":")); id != adminID {
		t.Errorf("the admin's connection is %s, was %s", id, adminID)
	}
	if r := admin.do(t, "SLOWLOG", "LEN"); r == ":0\r\n" {
		t.Errorf("SLOWLOG LEN %q: the slow log was reset", r)
	}
	if r := admin.do(t, "CONFIG", "GET", "slowlog-log-slower-than"); !strings.HasSuffix(r, "$1\r\n0\r\n") {
		t.Errorf("slowlog-log-slower-than: %q, want 0", r)
	}
	if r := admin.do(t, "CONFIG", "GET", "requirepass"); !strings.Contains(r, testPassword) {
		t.Errorf("requirepass: %q, changed", r)
	}
	if r := admin.do(t, "LATENCY", "LATEST"); !strings.Contains(r, "command") {
		t.Errorf("LATENCY LATEST %q: the latency events were reset", r)
	}
	if n := commandCalls(t, admin, "set"); n < slowlog || n == 0 {
		t.Errorf("cmdstat_set calls %d, were %d: the statistics were reset", n, slowlog)
	}
	if r := admin.do(t, "FUNCTION", "LIST"); r != functions {
		t.Errorf("FUNCTION LIST is %q, was %q", r, functions)
	}
	if r := admin.do(t, "ACL", "LIST"); strings.Contains(r, "evil") || !strings.Contains(r, "user default") {
		t.Errorf("ACL LIST: %q", r)
	}
}

// TestClientInfoAndListShare checks that CLIENT INFO and CLIENT LIST keep
// a session on its shared connection — CLIENT INFO describes that
// connection, one the server lists — and that after CLIENT SETNAME the
// session's CLIENT INFO describes its own connection.
func TestClientInfoAndListShare(t *testing.T) {
	srv := startRedis(t)
	admin := srv.admin(t)
	addr := serveProxy(t, t.Context(), Options{Upstream: srv.addr, Username: "default", Password: testPassword, Shared: 1},
		func(int) *audit { return &audit{} })
	a, b := dial(t, addr), dial(t, addr)
	a.do(t, "PING")
	b.do(t, "PING")
	shared := proxyConnections(t, admin)
	if len(shared) != 1 {
		t.Fatalf("the proxy has %v upstream connections, want 1 shared", shared)
	}
	for _, c := range []*client{a, b} {
		info := c.do(t, "CLIENT", "INFO")
		if !strings.Contains(info, "id="+shared[0]+" ") {
			t.Errorf("CLIENT INFO on the shared connection: %q, want id=%s", info, shared[0])
		}
		if list := c.do(t, "CLIENT", "LIST"); !strings.Contains(list, "id="+shared[0]+" ") {
			t.Errorf("CLIENT LIST: %q, misses id=%s", list, shared[0])
		}
	}
	if got := proxyConnections(t, admin); strings.Join(got, ",") != strings.Join(shared, ",") {
		t.Errorf("after CLIENT INFO and LIST the proxy's upstream connections are %v, were %v", got, shared)
	}
	if r := a.do(t, "CLIENT", "SETNAME", "mine"); r != "+OK\r\n" {
		t.Fatalf("CLIENT SETNAME: %q", r)
	}
	if info := a.do(t, "CLIENT", "INFO"); !strings.Contains(info, " name=mine ") || strings.Contains(info, "id="+shared[0]+" ") {
		t.Errorf("CLIENT INFO after SETNAME: %q, want its own connection, named", info)
	}
	if info := b.do(t, "CLIENT", "INFO"); !strings.Contains(info, "id="+shared[0]+" ") {
		t.Errorf("the other session's CLIENT INFO: %q, want the shared id=%s", info, shared[0])
	}
}
