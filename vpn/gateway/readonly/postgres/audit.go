//go:build cgo

package postgres

import (
	"strconv"
	"strings"
	"time"

	"github.com/devenv-dev/devenv/vpn/gateway/readonly"
)

// auditPause is how long the audit goroutine lets records gather after it
// has handed on all it had: the relay then adds records without waking it.
const auditPause = 2 * time.Millisecond

// auditTrail hands a session's audit records to its Record func in order,
// on a goroutine of its own, so that recording — the gateway writes each
// record to its spool — never holds up the relay.
type auditTrail struct {
	entries chan auditEntry
	done    chan struct{}
}

// auditEntry is one record before it becomes a readonly.Operation.
type auditEntry struct {
	verdict string
	norm    string // the statement, normalized
	reason  string // why it was refused
	tag     string // its CommandComplete tag
	outcome string // how else it ended
	took    time.Duration
}

func startAudit(record func(readonly.Operation)) *auditTrail {
	a := &auditTrail{entries: make(chan auditEntry, 1024), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		for e := range a.entries {
			record(e.operation())
			if len(a.entries) == 0 {
				time.Sleep(auditPause)
			}
		}
	}()
	return a
}

// add queues a record; it blocks only while 1024 are queued.
func (a *auditTrail) add(e auditEntry) { a.entries <- e }

// close returns when every record added has been handed on.
func (a *auditTrail) close() {
	close(a.entries)
	<-a.done
}

func (e auditEntry) operation() readonly.Operation {
	d := map[string]string{"statement": e.norm}
	if e.verdict == readonly.Refused {
		d["reason"] = e.reason
		return readonly.Operation{Verdict: e.verdict, Detail: d}
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
	return readonly.Operation{Verdict: e.verdict, Detail: d}
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
	ss.audit.add(auditEntry{verdict: readonly.Allowed, norm: op.norm, tag: tag, outcome: outcome, took: time.Since(op.start)})
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
