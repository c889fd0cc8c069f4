//go:build cgo

package postgres

import (
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// TestStatementRecordedWhenClientVanishes drops a client's connection
// while its statement runs: the proxy cancels it upstream and ends the
// session without an answer to relay, and the statement still gets its
// audit record, saying how it ended.
func TestStatementRecordedWhenClientVanishes(t *testing.T) {
	srv := startPostgres(t)
	tp := serveProxy(t, srv, t.Context())
	c, err := pgconn.Connect(t.Context(), tp.connString())
	if err != nil {
		t.Fatal(err)
	}
	hj, err := c.Hijack()
	if err != nil {
		t.Fatal(err)
	}
	defer hj.Conn.Close()
	hj.Frontend.Send(&pgproto3.Query{String: "select pg_sleep(30) /* devenv-vanished-audit */"})
	if err := hj.Frontend.Flush(); err != nil {
		t.Fatal(err)
	}
	direct, err := pgconn.Connect(t.Context(), srv.connString())
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(t.Context())
	running := func() string {
		res, err := direct.Exec(t.Context(), `select count(*) from pg_stat_activity where query like '%devenv-vanished-audit%' and pid <> pg_backend_pid()`).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return string(res[0].Rows[0][0])
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(5 * time.Second); running() != "1"; <-tick.C {
		if time.Now().After(deadline) {
			t.Fatal("the query never started upstream")
		}
	}
	hj.Conn.Close()
	tp.settled(t)
	var found []string
	for _, op := range tp.operations() {
		if strings.HasPrefix(op.Detail["statement"], "select pg_sleep($1)") {
			found = append(found, op.Detail["outcome"])
		}
	}
	if len(found) != 1 || found[0] == "" {
		t.Errorf("records of the vanished client's statement, by outcome: %q; want one that says how it ended", found)
	}
}
