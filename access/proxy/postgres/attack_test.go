//go:build cgo

package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"
)

// The attacks here log in upstream as roles that can write (the superuser,
// or desync_writer with write grants), as a misconfigured gateway would,
// and each is judged by the server's state afterwards: the checksum of
// everything a write could change, read on a direct connection, and what
// the upstream session itself says of its settings and does with
// probe_write() — a STABLE function, so the policy lets it through, that
// advances probe_seq unless the server refuses because the transaction is
// read-only.

// evil is what a desync payload smuggles past the parser: leave the
// read-only transaction, turn read-only off for the session and commit
// that (a write failing in the same transaction would undo it), then
// write. It has no single quote, so the parser sees it inside one literal.
const evil = "commit; set default_transaction_read_only = off; commit; insert into audit_log values ($$desync$$); " +
	"update accounts set balance = 0; select setval($$invoice_no$$, 1); select probe_write()"

// scsPayload is one SELECT of two literals when standard_conforming_strings
// is on (the backslash is a character), and a SELECT followed by smuggled
// when it is off (\' escapes the quote, so the first literal swallows the
// second's opening quote).
func scsPayload(smuggled string) string {
	return `select 'a\' , ' ; ` + smuggled + `; --'`
}

// encodingPayload is one SELECT of an E” literal in UTF-8, where prefix
// is a character and \' an escaped quote, and a SELECT followed by
// smuggled in a client encoding where the last byte of prefix and the
// backslash after it are one character, so that the quote after them ends
// the literal.
func encodingPayload(prefix, smuggled string) string {
	return "select E'" + prefix + `\' ; ` + smuggled + `; --'`
}

// desyncEncodings are the client-only encodings whose two-byte characters
// may end in the byte of a backslash, each with a UTF-8 character whose
// bytes, in that encoding, end with the first byte of such a character.
var desyncEncodings = []struct {
	name, prefix string
}{
	{"SJIS", "\xc3\x95"},        // Õ; in SJIS a half-width katakana, then 0x95 0x5c
	{"GBK", "\xe4\xb8\x81"},     // 丁; in GBK 0xe4 0xb8, then 0x81 0x5c
	{"BIG5", "\xe4\xb8\xa4"},    // 两; in BIG5 0xe4 0xb8, then 0xa4 0x5c
	{"GB18030", "\xe4\xb8\x81"}, // 丁; as in GBK
}

// payloads are every desync payload, carrying smuggled.
func payloads(smuggled string) []string {
	out := []string{scsPayload(smuggled)}
	for _, e := range desyncEncodings {
		out = append(out, encodingPayload(e.prefix, smuggled))
	}
	return out
}

// TestDesyncPayloadsAreReal checks the payloads against the real server:
// with the attacker's setting on a direct connection, the server runs the
// smuggled statement, while the proxy's policy sees one allowed SELECT.
// Were the proxy to let the setting through, the payload would pass it.
func TestDesyncPayloadsAreReal(t *testing.T) {
	srv := startPostgres(t)
	ctx := t.Context()
	const marker = "select 4242 as smuggled"
	p := &Policy{}
	check := func(setting, payload string) {
		t.Helper()
		stmts := p.Check(payload, nil)
		if len(stmts) != 1 || stmts[0].Refusal != "" {
			t.Fatalf("%s: the policy does not see one allowed statement in %q: %+v", setting, payload, stmts)
		}
		c, err := pgconn.Connect(ctx, srv.connString())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, setting).ReadAll(); err != nil {
			t.Fatalf("%s: %v", setting, err)
		}
		res, err := c.Exec(ctx, payload).ReadAll()
		if err != nil || len(res) < 2 || !strings.Contains(resultText(res, nil), "4242") {
			t.Errorf("after %s the server did not run the smuggled statement of %q: %s", setting, payload, resultText(res, err))
		}
	}
	check("set standard_conforming_strings = off", scsPayload(marker))
	for _, e := range desyncEncodings {
		check("set client_encoding = '"+e.name+"'", encodingPayload(e.prefix, marker))
	}
}

// pinnedShows are the settings every proxied session must keep, with the
// values the server must report for them.
var pinnedShows = []struct{ name, want string }{
	{"standard_conforming_strings", "on"}, {"client_encoding", "UTF8"}, {"backslash_quote", "safe_encoding"},
	{"escape_string_warning", "on"}, {"default_transaction_read_only", "on"}, {"transaction_read_only", "on"},
}

// wantPinned asks the upstream session, through c, for its settings.
func wantPinned(t *testing.T, c *pgconn.PgConn, after string) {
	t.Helper()
	for _, s := range pinnedShows {
		res, err := c.Exec(t.Context(), "show "+s.name).ReadAll()
		if err != nil || len(res) != 1 || len(res[0].Rows) != 1 {
			t.Errorf("after %s: show %s: %s", after, s.name, resultText(res, err))
			continue
		}
		if got := string(res[0].Rows[0][0]); got != s.want {
			t.Errorf("after %s the upstream session has %s = %s, want %s", after, s.name, got, s.want)
		}
	}
}

// wantServerReadOnly calls probe_write() through c, alone and in an
// explicit transaction, and wants the server's read-only error each time.
func wantServerReadOnly(t *testing.T, c *pgconn.PgConn, after string) {
	t.Helper()
	ctx := t.Context()
	for _, sql := range []string{"select probe_write()", "begin; select probe_write(); commit", "start transaction; select probe_write()"} {
		_, err := c.Exec(ctx, sql).ReadAll()
		c.Exec(ctx, "rollback").ReadAll()
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "25006" || strings.HasPrefix(pe.Message, "refused by the read-only proxy") {
			t.Errorf("after %s, %q: got %v, want the server's read-only error", after, sql, err)
		}
	}
}

// attack runs the payloads through c, in both protocols, then judges the
// upstream session's settings and read-only-ness.
func attack(t *testing.T, c *pgconn.PgConn, after string) {
	t.Helper()
	ctx := t.Context()
	for _, p := range payloads(evil) {
		c.Exec(ctx, p).ReadAll()
		c.Exec(ctx, "rollback").ReadAll()
		c.ExecParams(ctx, p, nil, nil, nil, nil).Read()
		c.Exec(ctx, "rollback").ReadAll()
	}
	wantPinned(t, c, after)
	wantServerReadOnly(t, c, after)
}

// wantUnchanged compares the server's checksum with before.
func wantUnchanged(t *testing.T, srv *pgServer, before, after string) {
	t.Helper()
	if got := checksum(t, srv); got != before {
		t.Errorf("after %s the data changed (-before +after):\n%s", after, cmp.Diff(before, got))
	}
}

// probeWrites checks, on a direct read-write connection, that probe_write
// does write: it is a fair probe. It leaves probe_seq advanced; callers
// take their checksum afterwards.
func probeWrites(t *testing.T, srv *pgServer) {
	t.Helper()
	ctx := t.Context()
	c, err := pgconn.Connect(ctx, srv.connString())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "select probe_write()").ReadAll(); err != nil {
		t.Fatalf("probe_write on a read-write session: %v", err)
	}
}

// TestLexerDesync tries every way to make the server lex differently from
// the proxy's parser — each string-literal setting and each client-only
// encoding, by SET, SET NAMES, set_config and startup parameter — then the
// payloads that would smuggle writes past the parser.
func TestLexerDesync(t *testing.T) {
	srv := startPostgres(t)
	tp := serveProxy(t, srv, t.Context())
	probeWrites(t, srv)
	before := checksum(t, srv)
	type try struct {
		name    string
		startup map[string]string
		set     string
	}
	var tries []try
	for _, s := range []struct{ name, value string }{
		{"standard_conforming_strings", "off"}, {"backslash_quote", "on"}, {"escape_string_warning", "off"},
	} {
		tries = append(tries,
			try{name: "SET " + s.name, set: fmt.Sprintf("set %s = %s", s.name, s.value)},
			try{name: "SET SESSION " + s.name, set: fmt.Sprintf("set session %s to %s", s.name, s.value)},
			try{name: "set_config " + s.name, set: fmt.Sprintf("select set_config('%s', '%s', false)", s.name, s.value)},
			try{name: "startup " + s.name, startup: map[string]string{s.name: s.value}},
			try{name: "startup options " + s.name, startup: map[string]string{"options": fmt.Sprintf("-c %s=%s", s.name, s.value)}},
		)
	}
	for _, e := range desyncEncodings {
		tries = append(tries,
			try{name: "SET client_encoding " + e.name, set: fmt.Sprintf("set client_encoding = '%s'", e.name)},
			try{name: "SET NAMES " + e.name, set: fmt.Sprintf("set names '%s'", e.name)},
			try{name: "set_config client_encoding " + e.name, set: fmt.Sprintf("select set_config('client_encoding', '%s', false)", e.name)},
			try{name: "startup options client_encoding " + e.name, startup: map[string]string{"options": "-c client_encoding=" + e.name}},
		)
	}
	for _, tr := range tries {
		t.Run(tr.name, func(t *testing.T) {
			ctx := t.Context()
			cfg, err := pgconn.ParseConfig(tp.connString())
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tr.startup {
				cfg.RuntimeParams[k] = v
			}
			c, err := pgconn.ConnectConfig(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(ctx)
			if tr.set != "" {
				_, err := c.Exec(ctx, tr.set).ReadAll()
				wantRefused(t, "simple", tr.set, err)
				wantRefused(t, "extended", tr.set, c.ExecParams(ctx, tr.set, nil, nil, nil, nil).Read().Err)
			}
			attack(t, c, tr.name)
		})
	}
	// A client encoding asked for at startup is refused with the session.
	for _, e := range desyncEncodings {
		t.Run("startup client_encoding "+e.name, func(t *testing.T) {
			cfg, err := pgconn.ParseConfig(tp.connString())
			if err != nil {
				t.Fatal(err)
			}
			cfg.RuntimeParams["client_encoding"] = e.name
			c, err := pgconn.ConnectConfig(t.Context(), cfg)
			if err == nil {
				c.Close(t.Context())
				t.Fatalf("a session with client_encoding %s was opened", e.name)
			}
			if !strings.Contains(err.Error(), "client_encoding \""+e.name+"\" is refused by the read-only proxy") {
				t.Errorf("client_encoding %s: %v, want the proxy's refusal naming it", e.name, err)
			}
		})
	}
	wantUnchanged(t, srv, before, "the desync attempts")
}

// TestPinnedOverRoleSettings logs in upstream as desync_writer, a role that
// can write and whose own settings (testdata/setup.sql) turn
// standard_conforming_strings and read-only off and ask for SJIS: the
// pinned startup values win over them, RESET ALL returns to the pinned
// values, not the role's, and so does DISCARD ALL, through the proxy and
// on a direct session opened as the proxy opens one.
func TestPinnedOverRoleSettings(t *testing.T) {
	srv := startPostgres(t)
	ctx := t.Context()
	probeWrites(t, srv)
	before := checksum(t, srv)
	tp := serveProxyWith(t, t.Context(), Options{Upstream: srv.addr, User: "desync_writer", Password: testPassword, Database: "postgres",
		LoginCanWrite: true, AllowFunctions: testAllowFunctions}) // the login writes on purpose: the layers above the role are tested
	c := dialProxy(t, tp, "")
	wantPinned(t, c, "login as desync_writer")
	for _, sql := range []string{"reset all", "set search_path to default; reset all", "begin; reset all; commit", "discard all"} {
		if _, err := c.Exec(ctx, sql).ReadAll(); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		attack(t, c, sql)
	}
	wantUnchanged(t, srv, before, "RESET ALL and DISCARD ALL as desync_writer")

	// The server's own word on DISCARD ALL, on a session opened with the
	// pinned parameters as desync_writer.
	host, port, _ := strings.Cut(srv.addr, ":")
	cfg, err := pgconn.ParseConfig(fmt.Sprintf("host=%s port=%s user=desync_writer password=%s dbname=postgres sslmode=disable", host, port, testPassword))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range pinnedParams {
		cfg.RuntimeParams[k] = v
	}
	d, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close(ctx)
	if _, err := d.Exec(ctx, "discard all").ReadAll(); err != nil {
		t.Fatal(err)
	}
	wantPinned(t, d, "DISCARD ALL on a direct session with the pinned parameters")
}

// TestServerReadOnly tries every statement that turns read-only off; the
// proxy refuses them, and whatever it did, the upstream session must stay
// read-only: the server itself refuses probe_write's write.
func TestServerReadOnly(t *testing.T) {
	srv := startPostgres(t)
	tp := serveProxy(t, srv, t.Context())
	ctx := t.Context()
	probeWrites(t, srv)
	before := checksum(t, srv)
	for _, sql := range []string{
		"set session characteristics as transaction read write",
		"begin read write",
		"start transaction read write",
		"set transaction_read_only = off",
		"begin; set transaction_read_only = off",
		"begin; set transaction read write",
		"select set_config('default_transaction_read_only', 'off', false)",
		"select set_config('transaction_read_only', 'off', true)",
		"set default_transaction_read_only = off",
		"set session default_transaction_read_only to off",
		"reset default_transaction_read_only",
		"set default_transaction_read_only to default",
		"reset all",
	} {
		t.Run(sql, func(t *testing.T) {
			c, err := pgconn.Connect(ctx, tp.connString())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(ctx)
			_, err = c.Exec(ctx, sql).ReadAll()
			if sql != "reset all" {
				wantRefused(t, "simple", sql, err)
			}
			c.Exec(ctx, "rollback").ReadAll()
			c.ExecParams(ctx, sql, nil, nil, nil, nil).Read()
			c.Exec(ctx, "rollback").ReadAll()
			wantPinned(t, c, sql)
			wantServerReadOnly(t, c, sql)
		})
	}
	wantUnchanged(t, srv, before, "the read-write attempts")
}

// TestSettableOnlyLowered checks the timeouts a client may only lower
// against a session default, the settable list, and pinned settings, which
// may only be set to the value they have; and that SET verdicts, which
// read a constant's value, are never shared by shape.
func TestSettableOnlyLowered(t *testing.T) {
	p := &Policy{ceilings: map[string]int64{"statement_timeout": 30000, "lock_timeout": 0}}
	c := newChecker(p)
	for _, tt := range []struct {
		sql     string
		allowed bool
	}{
		{"set statement_timeout = 5000", true},
		{"set statement_timeout = 30000", true},
		{"set statement_timeout = 30001", false},
		{"set statement_timeout = 0", false},
		{"set statement_timeout = 5000", true}, // cached: the same verdict
		{"set statement_timeout = '29s'", true},
		{"set statement_timeout = '31s'", false},
		{"set statement_timeout = '1min'", false},
		{"set statement_timeout = ' 250 ms '", true},
		{"set statement_timeout = '1.5s'", true},
		{"set statement_timeout = '0.5ms'", false},
		{"set statement_timeout = '010'", false},
		{"set statement_timeout = 1e3", false},
		{"set statement_timeout to default", true},
		{"reset statement_timeout", true},
		{"set local statement_timeout = 100", true},
		{"select set_config('statement_timeout', '20s', false)", true},
		{"select set_config('statement_timeout', '40s', false)", false},
		{"select set_config('statement_timeout', null, false)", true},
		{"set lock_timeout = 0", true}, // the default is no limit
		{"set lock_timeout = '1d'", true},
		{"set lock_timeout = '100us'", false},
		{"set application_name = 'x'", true},
		{"set search_path = public, pg_catalog", true},
		{"set datestyle = 'ISO, DMY'", true},
		{"set intervalstyle = 'iso_8601'", true},
		{"set time zone 'UTC'", true},
		{"set extra_float_digits = 3", true},
		{"set bytea_output = 'escape'", true},
		{"set work_mem = '64kB'", false},
		{"reset work_mem", false},
		// Pinned settings: to their pinned value only, which changes nothing.
		{"set client_encoding to 'UTF8'", true}, // libpq's PQsetClientEncoding
		{"set client_encoding = utf8", true},
		{"set names 'utf-8'", true},
		{"set names 'Unicode'", true},
		{"select set_config('client_encoding', 'UTF8', false)", true},
		{"set client_encoding to 'SJIS'", false},
		{"set client_encoding to 'SQL_ASCII'", false},
		{"set client_encoding to default", false},
		{"reset client_encoding", false},
		{"set standard_conforming_strings = on", true},
		{"set standard_conforming_strings = true", true},
		{"set standard_conforming_strings = off", false},
		{"set standard_conforming_strings = 'of'", false},
		{"set standard_conforming_strings = 0", false},
		{"set backslash_quote = safe_encoding", true},
		{"set backslash_quote = on", false},
		{"set escape_string_warning = on", true},
		{"set escape_string_warning = off", false},
		{"set default_transaction_read_only = on", true},
		{"set default_transaction_read_only = 'off'", false},
		{"select set_config('default_transaction_read_only', 'on', false)", true},
		{"set transaction_read_only = on", false}, // not pinned: refused like any other
	} {
		v := c.check(tt.sql, nil)
		if (v.refusal == "") != tt.allowed {
			t.Errorf("%q: refusal %q, want allowed=%v", tt.sql, v.refusal, tt.allowed)
		}
	}
	if n := c.shapes.len(); n != 0 {
		t.Errorf("%d SET verdicts shared by shape", n)
	}
}

// TestClientEncodingNames checks which names the server would read as
// UTF8, against the real server's own reading.
func TestClientEncodingNames(t *testing.T) {
	srv := startPostgres(t)
	ctx := t.Context()
	c, err := pgconn.Connect(ctx, srv.connString())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, name := range []string{"UTF8", "utf8", "UTF-8", "utf_8", "Unicode", "SJIS", "sql_ascii", "LATIN1", "GB18030", "EUC_JP"} {
		res, err := c.Exec(context.Background(), fmt.Sprintf("select pg_char_to_encoding('%s') = pg_char_to_encoding('UTF8')", name)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if want := string(res[0].Rows[0][0]) == "t"; utf8Name(name) != want {
			t.Errorf("utf8Name(%q) = %v, the server says %v", name, !want, want)
		}
	}
}

// TestPsqlClientEncoding runs the real psql with PGCLIENTENCODING set:
// UTF8 works, and each client-only encoding is refused at startup with the
// proxy's message, before anything reaches the server.
func TestPsqlClientEncoding(t *testing.T) {
	srv := startPostgres(t)
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql is not installed")
	}
	tp := serveProxy(t, srv, t.Context())
	host, port, _ := strings.Cut(tp.addr, ":")
	run := func(enc string) (string, error) {
		cmd := exec.CommandContext(t.Context(), psql, "-h", host, "-p", port, "-U", "dev", "-d", "prod", "-XAt",
			"-c", "show client_encoding", "-c", "select count(*) from accounts")
		cmd.Env = append(os.Environ(), "PGPASSWORD=", "PGSSLMODE=disable", "PGCLIENTENCODING="+enc)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("UTF8"); err != nil || out != "UTF8\n50\n" {
		t.Errorf("psql with PGCLIENTENCODING=UTF8: %q, %v", out, err)
	}
	for _, e := range desyncEncodings {
		out, err := run(e.name)
		if err == nil || !strings.Contains(out, "client_encoding \""+e.name+"\" is refused by the read-only proxy") {
			t.Errorf("psql with PGCLIENTENCODING=%s: %q, %v; want the proxy's refusal", e.name, out, err)
		}
	}
}

// TestPreparedReads runs SQL PREPARE, EXECUTE and EXPLAIN EXECUTE of reads
// through the proxy, in one text and across texts, and refuses EXECUTE of
// a name the proxy has not seen prepared from a checked read: never
// prepared, refused when prepared, deallocated or discarded. The server's
// state is unchanged.
func TestPreparedReads(t *testing.T) {
	srv := startPostgres(t)
	tp := serveProxy(t, srv, t.Context())
	ctx := t.Context()
	probeWrites(t, srv)
	before := checksum(t, srv)
	c := dialProxy(t, tp, "")
	run := func(sql string) string {
		t.Helper()
		res, err := c.Exec(ctx, sql).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		last := res[len(res)-1]
		if len(last.Rows) == 0 {
			return ""
		}
		return string(last.Rows[0][0])
	}
	refused := func(sql string) {
		t.Helper()
		_, err := c.Exec(ctx, sql).ReadAll()
		wantRefused(t, "simple", sql, err)
		c.Exec(ctx, "rollback").ReadAll()
	}
	if got := run("prepare q as select name from accounts where id = $1; execute q(3)"); got != "user3" {
		t.Errorf("prepare and execute in one text: %q", got)
	}
	if got := run("execute q(4)"); got != "user4" {
		t.Errorf("execute q(4): %q", got)
	}
	if got := run("explain (costs off) execute q(4)"); !strings.Contains(got, "Index Scan") {
		t.Errorf("explain execute q(4): %q", got)
	}
	run("explain (analyze, costs off, timing off, summary off) execute q(5)")
	refused("execute q(bump())")
	refused("explain analyze execute q(bump())")
	refused("prepare w as select nextval('invoice_no')")
	refused("execute w")
	refused("explain analyze execute w")
	refused("prepare w2 as select bump(); execute w2")
	run("deallocate q")
	refused("execute q(3)")
	run("prepare q2 as select 2")
	run("discard all")
	refused("execute q2")
	refused("explain execute q2")
	wantUnchanged(t, srv, before, "the prepared statements")
}
