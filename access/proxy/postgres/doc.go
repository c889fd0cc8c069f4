// Package postgres is the read-only PostgreSQL proxy of production access.
// A developer connects with psql, pgx or any libpq client and no password;
// the proxy logs in upstream with the gateway's injected credentials and
// parses every statement — each statement of a simple query, each Parse
// message — with PostgreSQL's own grammar (pg_query), letting through only
// an allowlist of reads, SHOW, SETs of reviewed settings and read-only
// transaction control. A refusal is an ErrorResponse naming the rule; the
// session stays usable. At the grant's deadline the in-flight query is
// cancelled and the session terminated.
//
// # Layers
//
// Each layer says what it trusts, and what the next catches when that
// trust is misplaced.
//
//  1. Pinned lexing (settings.go: pinnedParams). The proxy's parser and the
//     server must agree on where every literal and statement ends, or a
//     text that is one SELECT to pg_query runs as a SELECT and a write on
//     the server. pg_query reads UTF-8 with standard conforming strings, so
//     every upstream session is opened with client_encoding=UTF8,
//     standard_conforming_strings=on and the two other settings the lexer
//     reads (backslash_quote, escape_string_warning) at their defaults, as
//     startup parameters, which override the role's and the database's own
//     settings; RESET ALL returns to them, since a startup value is the
//     session's default. A client that asks for another client_encoding
//     at startup is refused; its other startup parameters are dropped but
//     for a few on the settable list. This layer trusts the server to
//     honour startup parameters over stored settings (the tests check it
//     against a role whose settings say otherwise, and connect checks the
//     ParameterStatus the server reports) and trusts layer 3 to keep
//     clients from changing them later. It does not cover differences of
//     grammar version: pg_query has PostgreSQL 17's lexer. Those found so
//     far end in one side refusing the text, not in other statement
//     boundaries: 0x1f, 1_000 and $1abc are numbers or parameters to
//     pg_query and trailing junk to a PostgreSQL 15 server, and a 15
//     server continues a literal across a -- comment and a newline where
//     pg_query sees two literals in a row, a syntax error (the write
//     corpus holds that attempt).
//     If this layer is wrong, a desynchronized text passes layer 3 as a
//     read, and layer 4 — the server's own read-only mode — still refuses
//     its writes, unless the smuggled part turns read-only off: then only
//     layer 5 remains.
//
//  2. The bound (bound.go). pg_query builds and serializes trees with C
//     recursion; a text nesting about twenty thousand levels deep crashes
//     the whole gateway. A Go pre-scan refuses, before any cgo call, texts
//     over 1 MiB or over an estimated 1000 levels. It trusts its own small
//     lexer to agree with pg_query's (FuzzBound
//     holds it to pg_query's lexer) and its estimate to bound the tree's
//     depth (FuzzBound and the tests hold it to pg_query's trees, with a
//     twenty-fold margin below the crash). If it is wrong the process may
//     crash — a denial of service, not a write: nothing has run upstream.
//
//  3. The policy (policy.go, settings.go, functions.go, trace.go).
//     Statements are judged on pg_query's tree: reads only, no
//     data-modifying CTEs, SELECT INTO or locking clauses, and SET, RESET,
//     SET LOCAL and set_config only of settings on the reviewed list (with
//     a reason each: nothing that changes lexing, logging, tracking,
//     read-only-ness, privileges, memory or damaged-page handling;
//     timeouts only lowered), and pinned settings only to the value they
//     have. SQL PREPARE, EXECUTE and EXPLAIN EXECUTE run only under names
//     the session prepared from a checked read.
//     Functions are default-deny: a call runs only if it names a built-in
//     of pg_catalog on the reviewed allowlist (functions.go, by family,
//     with the reason for each), or a function outside pg_catalog the
//     target's configuration names (Options.AllowFunctions). A STABLE or
//     IMMUTABLE marker is not trusted. Names resolve through search_path,
//     which a client may set, so an unqualified call is allowed only if no
//     function of that name exists outside pg_catalog that the
//     configuration does not name, pg_catalog.f only if f is on the
//     allowlist, and neither if a function of that name was added to
//     pg_catalog after initdb (an extension installed there). Functions
//     that run SQL given as text, take locks, hold or consume slots, write,
//     or read server files are refused by name even if configured.
//     What runs functions without naming them — operators, casts, types
//     (input and output functions, domain checks, range functions, default
//     operator classes), views, row-level security policies, foreign
//     tables, partition keys — is traced (trace.go): every such object
//     outside pg_catalog that runs, directly or through another, a
//     function that is not allowed is tainted, and a statement naming a
//     tainted object is refused: an operator by its name, including the
//     implicit = of IN, CASE and USING; a type or cast target in a type
//     name, a function-notation cast or a parameter type (PREPARE's, and
//     a Parse message's by OID); a relation in FROM or COPY; a function
//     name in attribute notation a.f. The rule judges names, not resolved
//     objects, so it refuses more than it must; a tainted built-in type
//     refuses every read.
//     The facts (functions outside pg_catalog, tainted objects) are read
//     in the query every session already sends at its start, and all
//     sessions are judged by the latest session's facts. It trusts layer 1
//     (the server runs what it judged), the allowlist's review, the
//     functions the configuration names (their bodies are not read), and
//     that the facts are current: an object created or changed upstream
//     is known once a session has started after it. When that trust is
//     misplaced, layer 4 refuses the write.
//
//  4. Server-enforced read-only. Every session starts with
//     default_transaction_read_only=on (a pinned startup parameter) and no
//     client statement can turn it off: transaction_read_only,
//     default_transaction_read_only, READ WRITE transactions and SESSION
//     CHARACTERISTICS are refused by layer 3, and RESET ALL returns to the
//     pinned value. The server then refuses every write, including those of
//     functions layer 3 trusted. It trusts layer 3 to keep the setting on;
//     a function the configuration allows that calls set_config could
//     still turn it off for later transactions, and then layer 5 is what
//     remains.
//
//  5. The role. Options.User should be a role without write privileges:
//     the last layer, and the only one that holds if the others are wrong.
//     The tests log in as roles that can write, so that they judge the
//     layers above by the server's state.
//
// # The relay
//
// The relay passes messages on as bytes and decodes only what it inspects
// (queries, Parse, Bind and Execute one way; completions, errors and
// ReadyForQuery the other), flushing when its input runs dry. Verdicts are
// cached per proxy by exact text, and texts that differ only in integer
// constants share one (shape.go says when that holds; never a SET, whose
// verdict reads its value); a session that learns other catalog facts
// replaces the cache. The bound and the checks add no round trip: pinned
// settings are startup parameters, and the catalog facts are read in one
// query per session. Audit records are queued and handed on off the
// relay's path.
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
	// read-only role: the last of the layers the package doc lists.
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
	// AllowFunctions are the functions outside pg_catalog — user-defined
	// or from extensions — that statements may call, schema-qualified as
	// the catalog spells them ("public.label"). Functions are
	// default-deny: besides these, only the reviewed built-ins of
	// functions.go run. A function's volatility marker is its author's
	// claim, so a STABLE or IMMUTABLE function is not trusted unless named
	// here. A named function is trusted whole: the proxy does not read its
	// body, and layer 4 of the package doc is what remains if it writes.
	// Naming a function also lifts the taint of the operators, types,
	// casts and views that run it (trace.go): an extension's types, for
	// one, are readable once their input and output functions are named.
	// Functions the proxy refuses by name (functions.go: refusedFamilies)
	// stay refused even if named here.
	AllowFunctions []string
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
