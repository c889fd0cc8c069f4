// Package postgres is the read-only PostgreSQL proxy of production access.
// A developer connects with psql, pgx or any libpq client and no password;
// the proxy logs in upstream with the gateway's injected credentials (they
// should belong to a read-only role: the proxy is one layer, the role is
// another), forces default_transaction_read_only=on at startup, and parses
// every statement — each statement of a simple query, each Parse message —
// with PostgreSQL's own grammar (pg_query), letting through only an
// allowlist of reads, safe SETs and read-only transaction control. Calls to
// functions with side effects, built-in or user-defined VOLATILE (learned
// from the upstream's pg_proc at session start), are refused anywhere in a
// statement. A refusal is an ErrorResponse naming the rule; the session
// stays usable. At the grant's deadline the in-flight query is cancelled
// and the session terminated.
//
// The relay passes messages on as bytes and decodes only what it inspects
// (queries, Parse, Bind and Execute one way; completions, errors and
// ReadyForQuery the other), flushing when its input runs dry. Verdicts are
// cached per proxy by exact text, and texts that differ only in integer
// constants share one (shape.go says when that holds); a session that
// learns other catalog facts replaces the cache. Audit records are queued
// and handed on off the relay's path.
//
// The parser needs cgo; builds without cgo get a New that fails.
package postgres

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"strconv"
	"time"
)

// ErrNoCgo is returned by New in builds without cgo.
var ErrNoCgo = errors.New("the postgres proxy needs a cgo build (pg_query is a C library); rebuild the gateway with CGO_ENABLED=1")

// Options configure a Proxy.
type Options struct {
	// Upstream is the server's host:port.
	Upstream string
	// User and Password log in upstream (SCRAM-SHA-256, md5 or cleartext,
	// as the server asks); clients never see them. User should be a
	// read-only role.
	User, Password string
	// Database is the upstream database every session uses, whatever the
	// client asks for.
	Database string
	// TLS, if set, is used to reach the upstream; nil is plain TCP.
	TLS *tls.Config
	// Logger receives the proxy's own errors; nil discards them.
	Logger *slog.Logger
	// StatementTimeout, IdleInTransactionTimeout and LockTimeout are the
	// upstream session's statement_timeout, idle_in_transaction_session_timeout
	// and lock_timeout, so that reading cannot hold production's resources:
	// a runaway query, an open transaction that pins old rows and blocks DDL,
	// a wait on a lock that queues every later writer behind it. 0 is the
	// default (30 s, 60 s, 1 s).
	StatementTimeout, IdleInTransactionTimeout, LockTimeout time.Duration
	// MaxMessageBytes is the largest message a client may send (a Query,
	// a Parse…); a longer one ends the session with an error naming the
	// limit before its body is read. 0 is DefaultMaxMessageBytes (16 MiB).
	MaxMessageBytes int
	// LoginCanWrite accepts an upstream login that can write (the target's
	// login_can_write: accept). Without it the gateway refuses to serve the
	// target with such a login (see InspectLogin).
	LoginCanWrite bool
}

// Default session timeouts (see Options).
const (
	DefaultStatementTimeout         = 30 * time.Second
	DefaultIdleInTransactionTimeout = 60 * time.Second
	DefaultLockTimeout              = time.Second
)

// timeoutParams are the upstream session's timeouts as startup parameters,
// in milliseconds. Values from the startup packet are the session's own
// defaults, so RESET and DISCARD ALL return to them.
func (o Options) timeoutParams() map[string]string {
	ms := func(d, def time.Duration) string {
		if d <= 0 {
			d = def
		}
		return strconv.FormatInt(d.Milliseconds(), 10)
	}
	return map[string]string{
		"statement_timeout":                   ms(o.StatementTimeout, DefaultStatementTimeout),
		"idle_in_transaction_session_timeout": ms(o.IdleInTransactionTimeout, DefaultIdleInTransactionTimeout),
		"lock_timeout":                        ms(o.LockTimeout, DefaultLockTimeout),
	}
}
