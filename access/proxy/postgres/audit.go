//go:build cgo

package postgres

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/devenv-dev/devenv/access/proxy"
)

// auditPause is how long audit records gather before they are handed on:
// the relay only appends to a queue, and one goroutine per pause hands on
// the records of all sessions.
const auditPause = 5 * time.Millisecond

// maxQueued bounds the records waiting: past it, the relay that adds one
// hands on the queue itself, so a slow Record slows the relay rather than
// filling memory.
const maxQueued = 4096

// auditQueue hands the sessions' audit records to their Record funcs in
// order, off the relay's path: recording — the gateway writes each record
// to its spool — never holds up a statement.
type auditQueue struct {
	drainMu sync.Mutex   // serializes drains, so records leave in order
	spare   []auditEntry // guarded by drainMu; the last batch's array

	mu      sync.Mutex
	entries []auditEntry // guarded by mu
	armed   bool         // guarded by mu; a drain is due
}

// auditEntry is one record before it becomes a proxy.Operation.
type auditEntry struct {
	record  func(proxy.Operation)
	verdict string
	norm    string // the statement, normalized
	reason  string // why it was refused
	tag     string // its CommandComplete tag
	outcome string // how else it ended
	took    time.Duration
}

// add queues a record; a drain follows within auditPause.
func (q *auditQueue) add(e auditEntry) {
	q.mu.Lock()
	q.entries = append(q.entries, e)
	full := len(q.entries) >= maxQueued
	arm := !q.armed && !full
	q.armed = q.armed || arm
	q.mu.Unlock()
	switch {
	case full:
		q.drain()
	case arm:
		time.AfterFunc(auditPause, q.drain)
	}
}

// drain hands on every record queued so far.
func (q *auditQueue) drain() {
	q.drainMu.Lock()
	defer q.drainMu.Unlock()
	next := q.spare[:0]
	q.spare = nil
	q.mu.Lock()
	batch := q.entries
	q.entries, q.armed = next, false
	q.mu.Unlock()
	for _, e := range batch {
		e.record(e.operation())
	}
	clear(batch)
	q.spare = batch
}

func (e auditEntry) operation() proxy.Operation {
	d := map[string]string{"statement": e.norm}
	if e.verdict == proxy.Refused {
		d["reason"] = e.reason
		return proxy.Operation{Verdict: e.verdict, Detail: d}
	}
	d["duration"] = e.took.String()
	if e.tag != "" {
		d["tag"] = e.tag
		if rows, ok := tagRows(e.tag); ok {
			d["rows"] = strconv.FormatInt(rows, 10)
		}
	}
	if e.outcome != "" {
		d["outcome"] = e.outcome
	}
	return proxy.Operation{Verdict: e.verdict, Detail: d}
}

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
	ss.p.audit.add(auditEntry{record: ss.s.Record, verdict: proxy.Allowed, norm: op.norm, tag: tag, outcome: outcome,
		took: time.Since(op.start)})
}

// abandon audits the statements that were still running when the session
// ended, which no answer will complete: outcome says what ended them.
func (ss *session) abandon(outcome string) {
	ss.mu.Lock()
	left := ss.pending
	ss.pending = nil
	ss.mu.Unlock()
	for _, op := range left {
		if !op.sync {
			ss.p.audit.add(auditEntry{record: ss.s.Record, verdict: proxy.Allowed, norm: op.norm, outcome: outcome,
				took: time.Since(op.start)})
		}
	}
}

// ready drops what a ReadyForQuery ends: statements the server skipped
// after an error, up to and including their Query or Sync marker.
func (ss *session) ready() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for i, op := range ss.pending {
		if op.sync {
			if i+1 == len(ss.pending) {
				ss.pending = ss.pending[:0] // keep the array
			} else {
				ss.pending = ss.pending[i+1:]
			}
			return
		}
	}
	ss.pending = ss.pending[:0]
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
