//go:build cgo

package postgres

import (
	"fmt"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/devenv-dev/devenv/access/proxy"
)

// A session's memory is bounded so that one client cannot grow the
// gateway: a message is read whole only up to Options.MaxMessageBytes (its
// header says how long it is, so a longer one is refused before a byte of
// its body is read), and what a session keeps per message it has sent
// upstream and not yet seen answered is bounded in count.
const (
	// DefaultMaxMessageBytes is the largest client message by default.
	DefaultMaxMessageBytes = 16 << 20
	// maxUnanswered bounds the refusal tokens sent upstream whose errors
	// have not come back: after an error the server skips to the next
	// Sync, so refused Parses without a Sync are never answered one by one.
	maxUnanswered = 1024
	// maxNamed bounds the prepared statements and portals a session names.
	maxNamed = 10000
)

// limitError ends a session: the client is told which limit, in a FATAL
// error (54000, program_limit_exceeded), once the upstream loop no longer
// writes to it.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }

func (p *Proxy) maxMessage() int {
	if p.opts.MaxMessageBytes > 0 {
		return p.opts.MaxMessageBytes
	}
	return DefaultMaxMessageBytes
}

// checkLength refuses a client message longer than the limit, from its
// header alone.
func (ss *session) checkLength(typ byte, n int) error {
	if limit := ss.p.maxMessage(); n > limit {
		return &limitError{fmt.Sprintf("a %q message of %d bytes is over the read-only proxy's limit of %d bytes per message "+
			"(limits.max_message_mib on the target)", typ, n, limit)}
	}
	return nil
}

// checkKept refuses a client that makes the session keep too much: refused
// statements that are never answered, or too many named statements.
func (ss *session) checkKept() error {
	ss.mu.Lock()
	unanswered := len(ss.refusals)
	ss.mu.Unlock()
	switch {
	case unanswered >= maxUnanswered:
		return &limitError{fmt.Sprintf("%d refused statements without a Sync: the read-only proxy keeps at most %d", unanswered, maxUnanswered)}
	case len(ss.stmts)+len(ss.portals) > maxNamed || len(ss.prepared) > maxNamed:
		return &limitError{fmt.Sprintf("more than %d named statements and portals in one session", maxNamed)}
	}
	return nil
}

// tellLimit writes the limit that ended the session to the client; the
// caller owns ss.out (the upstream loop has ended).
func (ss *session) tellLimit(e *limitError) {
	msg, err := (&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: "54000",
		Message: "the read-only proxy ended the session: " + e.msg}).Encode(nil)
	if err == nil {
		ss.out.Write(msg)
		ss.out.Flush()
	}
	ss.p.audit.add(auditEntry{record: ss.s.Record, verdict: proxy.Refused, norm: "(session ended)", reason: e.msg})
}
