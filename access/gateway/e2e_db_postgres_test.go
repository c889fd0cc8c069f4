//go:build linux

package gateway_test

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const pgTarget = "orders-db"

// pgWorld is a postgres target served by the real gateway, with the
// developer's clients on the dev host.
type pgWorld struct {
	*world
	pg            *pgServer
	psql, pgbench string // the client binaries
	benchTx       int    // transactions pgbench -S completed through the tunnel
}

// TestPostgresTargetEndToEnd runs a postgres target through the real
// devenv hub, gateway and `devenv access connect`, each in its own network
// namespace, with PostgreSQL on the gateway host's loopback and the real
// psql, pgx and pgbench on the developer's host. It proves that reads
// through the tunnel return what the server has, that writes are refused
// by the gateway (its login role could write) and change nothing, that the
// audit trail gets each statement normalized with its verdict, and that at
// the grant's deadline the running query is cancelled and its upstream
// session ends.
func TestPostgresTargetEndToEnd(t *testing.T) {
	start := time.Now()
	w := newDBHosts(t)
	pw := &pgWorld{world: w,
		psql:    needTool(t, "psql", "postgresql-client", "/usr/lib/postgresql/*/bin/psql"),
		pgbench: needTool(t, "pgbench", "postgresql", "/usr/lib/postgresql/*/bin/pgbench")}
	pw.pg = startPostgres(t, w.gw)
	t.Logf("postgres ready in %v", time.Since(start).Round(time.Millisecond))
	w.serve(dbTarget{name: pgTarget, protocol: "postgres", upstream: pgUpstream, database: pgDatabase,
		credentials: fmt.Sprintf("{user: %s, env: ORDERS_DB_PASSWORD}", pgLogin),
		env:         []string{"ORDERS_DB_PASSWORD=" + pgLoginPass}})
	t.Logf("hub and gateway ready in %v", time.Since(start).Round(time.Millisecond))
	c := w.connect(w.grantOf(pgTarget, 2*time.Minute).ID, 15432)
	defer c.stop(os.Interrupt)
	t.Run("psql reads what the server has; its INSERT is refused and changes nothing", pw.testPsql)
	t.Run("pgx, simple and extended protocol: reads equal direct; a refused write leaves the connection usable", pw.testPgx)
	t.Run("pgbench -S runs with no failed transaction; TPC-B's writes fail and change nothing", pw.testPgbench)
	t.Run("the audit trail has every statement normalized, with its verdict", pw.testAudit)
	t.Run("one grant holds at most 4 upstream sessions; the rest are told which limit", pw.testSessionLimit)
	c.stop(os.Interrupt)
	t.Run("at the deadline the in-flight query is cancelled and the upstream session ends", pw.testDeadline)
	t.Run("a query whose client vanished does not outlive the grant", pw.testClientGone)
	t.Logf("postgres end to end in %v", time.Since(start).Round(time.Millisecond))
}

// psqlAt runs psql against the local port of a connect, on the dev host.
// The user and database are the developer's fancy: the gateway logs in
// with its own.
func (pw *pgWorld) psqlAt(port int, limit time.Duration, args ...string) (string, error) {
	argv := append([]string{pw.psql, "-X", "-w", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose",
		"-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "ann", "-d", pgDatabase}, args...)
	return tool(pw.dev, limit, nil, argv...)
}

func (pw *pgWorld) testPsql(t *testing.T) {
	out, err := pw.psqlAt(15432, 20*time.Second, "-c", "select count(*) from t")
	if want := pw.pg.one(t, "select count(*) from t"); err != nil || strings.TrimSpace(out) != want {
		t.Errorf("psql count through the tunnel: %q %v; directly %s", out, err, want)
	}
	out, err = pw.psqlAt(15432, 20*time.Second, "-c", "select id, v from t where id <= 5 order by id")
	var want []string
	for _, r := range pw.pg.rows(t, "select id, v from t where id <= 5 order by id") {
		want = append(want, strings.Join(r, "|"))
	}
	if err != nil || strings.TrimSpace(out) != strings.Join(want, "\n") {
		t.Errorf("psql rows through the tunnel: %q %v; directly %q", out, err, want)
	}

	out, err = pw.psqlAt(15432, 20*time.Second, "-c", "insert into t values (1001, 'psql-wrote-this')")
	if err == nil || !refusedSQLState(out) || !strings.Contains(out, "INSERT") || !strings.Contains(out, "refused") {
		t.Errorf("psql INSERT through the tunnel: %v\n%s\nwant the gateway's refusal: SQLSTATE 25006 or 42501, naming INSERT", err, out)
	}
	t.Logf("psql INSERT: %s", strings.TrimSpace(out))
	if n := pw.pg.one(t, "select count(*) from t where id > 1000 or v = 'psql-wrote-this'"); n != "0" {
		t.Errorf("the refused INSERT wrote %s rows", n)
	}
}

// refusedSQLState says whether psql's verbose error output carries a
// read-only refusal's SQLSTATE.
func refusedSQLState(out string) bool {
	return strings.Contains(out, "ERROR:  25006:") || strings.Contains(out, "ERROR:  42501:")
}

func (pw *pgWorld) testPgx(t *testing.T) {
	reads := []struct {
		sql  string
		args []any
	}{
		{"select id, v from t where id between $1 and $2 order by id", []any{10, 20}},
		{"select count(*), sum(id), max(v) from t", nil},
		{"select aid, bid, abalance from pgbench_accounts where aid = $1", []any{4242}},
	}
	for i, mode := range []struct {
		name string
		mode pgx.QueryExecMode
	}{
		{"simple", pgx.QueryExecModeSimpleProtocol},
		{"extended", pgx.QueryExecModeCacheStatement},
	} {
		t.Run(mode.name, func(t *testing.T) {
			c := pw.tunnelConn(t, 15432, mode.mode)
			for _, q := range reads {
				got, err := textRows(t.Context(), c, q.sql, q.args...)
				if err != nil {
					t.Errorf("%s through the tunnel: %v", q.sql, err)
					continue
				}
				if d := cmp.Diff(pw.pg.rows(t, q.sql, q.args...), got); d != "" {
					t.Errorf("%s: through the tunnel (+) and directly (-) differ:\n%s", q.sql, d)
				}
			}
			_, err := c.Exec(t.Context(), "insert into t (id, v) values ($1, $2)", 2000+i, "pgx-wrote-"+mode.name)
			if pe := (*pgconn.PgError)(nil); !errors.As(err, &pe) || (pe.Code != "25006" && pe.Code != "42501") ||
				!strings.Contains(pe.Message, "INSERT") || !strings.Contains(pe.Message, "refused") {
				t.Errorf("INSERT through the tunnel: %v; want the gateway's refusal: SQLSTATE 25006 or 42501, naming INSERT", err)
			}
			if got, err := textRows(t.Context(), c, "select count(*) from t"); err != nil || len(got) != 1 || got[0][0] != strconv.Itoa(pgTableRows) {
				t.Errorf("the same connection after the refusal: %v %v", got, err)
			}
			if n := pw.pg.one(t, "select count(*) from t where v like 'pgx-wrote-%'"); n != "0" {
				t.Errorf("the refused INSERT wrote %s rows", n)
			}
		})
	}
}

// tunnelConn connects pgx through connect's local port, from the dev host.
func (pw *pgWorld) tunnelConn(t *testing.T, port int, mode pgx.QueryExecMode) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=127.0.0.1 port=%d user=ann dbname=%s sslmode=disable", port, pgDatabase))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DialFunc, cfg.DefaultQueryExecMode = hostDialer{pw.dev}.DialContext, mode
	c, err := pgx.ConnectConfig(t.Context(), cfg)
	if err != nil {
		t.Fatalf("pgx through the tunnel: %v", err)
	}
	t.Cleanup(func() { c.Close(t.Context()) })
	return c
}

// pgbenchState is what TPC-B would change: the balances and the history.
const pgbenchState = `select (select count(*) from pgbench_history), (select sum(abalance) from pgbench_accounts),
	(select sum(tbalance) from pgbench_tellers), (select sum(bbalance) from pgbench_branches)`

func (pw *pgWorld) testPgbench(t *testing.T) {
	before := pw.pg.rows(t, pgbenchState)
	bench := func(args ...string) (string, error) {
		argv := append([]string{pw.pgbench, "-h", "127.0.0.1", "-p", "15432", "-U", "ann"}, args...)
		return tool(pw.dev, 30*time.Second, nil, append(argv, pgDatabase)...)
	}
	out, err := bench("-S", "-n", "-c", "4", "-j", "2", "-T", "3")
	processed := regexp.MustCompile(`number of transactions actually processed: (\d+)`).FindStringSubmatch(out)
	if err != nil || processed == nil || processed[1] == "0" || !strings.Contains(out, "number of failed transactions: 0 ") {
		t.Errorf("pgbench -S through the tunnel: %v\n%s", err, out)
	}
	if processed != nil {
		pw.benchTx, _ = strconv.Atoi(processed[1])
	}
	if m := regexp.MustCompile(`(?m)^(latency average.*|tps = .*)$`).FindAllString(out, -1); processed != nil {
		t.Logf("pgbench -S -c 4 -j 2 -T 3 through the tunnel: %s transactions; %s", processed[1], strings.Join(m, "; "))
	}

	out, err = bench("-n", "-c", "2", "-t", "10")
	if err == nil || !strings.Contains(out, "UPDATE") || !strings.Contains(out, "refused") {
		t.Errorf("pgbench TPC-B through the tunnel: %v; want a failure naming the refused UPDATE\n%s", err, out)
	}
	t.Logf("pgbench TPC-B through the tunnel: %v: %s", err, firstLine(out, "aborted"))
	if d := cmp.Diff(before, pw.pg.rows(t, pgbenchState)); d != "" {
		t.Errorf("TPC-B through the tunnel changed pgbench's tables (history count, balances):\n%s", d)
	}
}

// firstLine is the first line of out that contains s, or "".
func firstLine(out, s string) string {
	for line := range strings.Lines(out) {
		if strings.Contains(line, s) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}
