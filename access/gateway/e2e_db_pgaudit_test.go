//go:build linux

package gateway_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// opWant is a kind of operation record the audit trail must hold, at least
// min times.
type opWant struct {
	what  string
	min   int
	match func(hubapi.AuditRecord) bool
}

// statement matches a record of verdict whose normalized statement is
// stmt, up to white space and a final semicolon (clients differ there: pgx
// pads the arguments it interpolates with spaces), and whose detail has
// every pair of d, values as substrings.
func statement(verdict, stmt string, d map[string]string) func(hubapi.AuditRecord) bool {
	return func(r hubapi.AuditRecord) bool {
		if r.Verdict != verdict || squeeze(r.Detail["statement"]) != squeeze(stmt) {
			return false
		}
		for k, v := range d {
			if !strings.Contains(r.Detail[k], v) {
				return false
			}
		}
		return true
	}
}

func squeeze(s string) string {
	return strings.TrimSuffix(strings.Join(strings.Fields(s), ""), ";")
}

// missing says which wants ops lacks, or nil.
func missing(ops []hubapi.AuditRecord, wants []opWant) error {
	var lack []string
	for _, w := range wants {
		if n := len(slices.DeleteFunc(slices.Clone(ops), func(r hubapi.AuditRecord) bool { return !w.match(r) })); n < w.min {
			lack = append(lack, fmt.Sprintf("%s (%d of %d)", w.what, n, w.min))
		}
	}
	if lack != nil {
		return fmt.Errorf("%d operation records; missing: %s", len(ops), strings.Join(lack, "; "))
	}
	return nil
}

// testAudit checks what the gateway records today of a postgres session:
// one operation per statement, its text normalized by PostgreSQL's own
// rules (constants become $n, so literals stay out of the trail), the
// verdict, and for allowed ones the command tag; refusals name the rule.
func (pw *pgWorld) testAudit(t *testing.T) {
	wants := []opWant{
		{"psql's count", 1, statement("allowed", "select count(*) from t", map[string]string{"tag": "SELECT 1", "rows": "1"})},
		{"psql's refused INSERT, its literals normalized", 1, statement("refused", "insert into t values ($1, $2)",
			map[string]string{"reason": "INSERT"})},
		{"pgx's reads, simple and extended", 2, statement("allowed", "select id, v from t where id between $1 and $2 order by id",
			map[string]string{"tag": "SELECT 11"})},
		{"pgx's refused INSERTs, simple and extended", 2, statement("refused", "insert into t (id, v) values ($1, $2)",
			map[string]string{"reason": "INSERT"})},
		{"pgbench -S's SELECTs", pw.benchTx, statement("allowed", "SELECT abalance FROM pgbench_accounts WHERE aid = $1",
			map[string]string{"tag": "SELECT 1"})},
		{"TPC-B's refused UPDATE", 1, statement("refused", "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2",
			map[string]string{"reason": "UPDATE"})},
	}
	ops := pw.operations(t, pgTarget, func(ops []hubapi.AuditRecord) error { return missing(ops, wants) })
	raw, _ := json.Marshal(ops)
	for _, literal := range []string{"psql-wrote-this", "pgx-wrote-"} {
		if strings.Contains(string(raw), literal) {
			t.Errorf("the audit trail holds the literal %q", literal)
		}
	}
	for _, r := range ops {
		if r.Actor != "gateway:prod" || r.RequestID == "" {
			t.Errorf("operation record from %q for request %q", r.Actor, r.RequestID)
			break
		}
	}
	t.Logf("%d operation records of %s", len(ops), pgTarget)
}
