//go:build cgo

package postgres

import (
	"strconv"
	"strings"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/devenv-dev/devenv/vpn/gateway/readonly"
)

// complete audits the oldest statement still running before the next
// Query or Sync marker: tag is its CommandComplete tag, outcome says how
// else it ended.
func (ss *session) complete(tag, outcome string) {
	ss.mu.Lock()
	var op pendingOp
	found := false
	if len(ss.pending) > 0 && !ss.pending[0].sync {
		op, found = ss.pending[0], true
		ss.pending = ss.pending[1:]
	}
	ss.mu.Unlock()
	if !found {
		return
	}
	d := map[string]string{"duration": time.Since(op.start).String()}
	if tag != "" {
		d["tag"] = tag
		if rows, ok := tagRows(tag); ok {
			d["rows"] = strconv.FormatInt(rows, 10)
		}
	}
	if outcome != "" {
		d["outcome"] = outcome
	}
	ss.record(readonly.Allowed, op.sql, d)
}

// ready drops what a ReadyForQuery ends: statements the server skipped
// after an error, up to and including their Query or Sync marker.
func (ss *session) ready() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for i, op := range ss.pending {
		if op.sync {
			ss.pending = ss.pending[i+1:]
			return
		}
	}
	ss.pending = ss.pending[:0]
}

// record sends one audit record with the statement normalized: constants
// become $n, so secrets in literals stay out of the trail.
func (ss *session) record(verdict, sql string, d map[string]string) {
	norm, err := pg_query.Normalize(sql)
	if err != nil {
		norm = "(unparsable statement, " + strconv.Itoa(len(sql)) + " bytes)"
	}
	d["statement"] = norm
	ss.s.Record(readonly.Operation{Verdict: verdict, Detail: d})
}

// tagRows reads the row count of a CommandComplete tag such as
// "SELECT 3", "COPY 10" or "FETCH 0".
func tagRows(tag string) (int64, bool) {
	i := strings.LastIndexByte(tag, ' ')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(tag[i+1:], 10, 64)
	return n, err == nil
}
