//go:build cgo

package postgres

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// pinnedParams are the startup parameters every upstream session is opened
// with, whatever the client asked for and whatever the role's or the
// database's own settings say (a startup parameter overrides them). The
// first four are every setting the server's lexer reads: with them the
// server lexes a query exactly as pg_query does, UTF-8 with standard
// conforming strings. The last makes the server itself refuse writes.
// None of them is on the settable list, so no client statement changes
// them, and RESET ALL returns to them: a startup value is the session's
// default.
var pinnedParams = map[string]string{
	"client_encoding":               "UTF8",
	"standard_conforming_strings":   "on",
	"backslash_quote":               "safe_encoding",
	"escape_string_warning":         "on",
	"default_transaction_read_only": "on",
}

// setting is a setting a client may change with SET, SET LOCAL, RESET or
// set_config, and why that is safe.
type setting struct {
	why string
	// lowerOnly settings are timeouts in milliseconds that may only be
	// set at or below the session's default (a positive value; 0, which
	// disables them, only when the default is 0 too).
	lowerOnly bool
}

// settable is the reviewed list of settings a client may change. A
// setting is on it only if changing it alters nothing but how this
// session's results look or how the planner reaches them: nothing that
// changes how the server lexes a query (client_encoding,
// standard_conforming_strings, backslash_quote, escape_string_warning),
// whether the session may write (default_transaction_read_only,
// transaction_read_only), whose privileges it has (role,
// session_authorization), what is logged or tracked (log_*,
// track_*), how much memory it may take (work_mem and the like) or how
// damaged pages are handled (zero_damaged_pages, ignore_checksum_failure).
// Names are as PostgreSQL spells them, lower case; SET TIME ZONE, SET
// SCHEMA and SET XML OPTION arrive as timezone, search_path and xmloption.
var settable = map[string]setting{
	"application_name":                    {why: "a label shown in pg_stat_activity; the server logs the gateway's own connection details regardless"},
	"search_path":                         {why: "name resolution only; an unqualified call is allowed only while no function outside pg_catalog of its name is refused, and tainted operators, types and relations are refused by name in every schema, so no path makes a name resolve to something the policy did not allow"},
	"datestyle":                           {why: "output and input format of dates"},
	"intervalstyle":                       {why: "output format of intervals"},
	"timezone":                            {why: "time zone of timestamptz output and input"},
	"extra_float_digits":                  {why: "output precision of floating-point values"},
	"bytea_output":                        {why: "output format of bytea"},
	"xmloption":                           {why: "whether XML values parse as documents or content"},
	"xmlbinary":                           {why: "output encoding of binary values in XML"},
	"client_min_messages":                 {why: "which notices this client receives; server logging is log_min_messages, not settable"},
	"default_transaction_isolation":       {why: "isolation level of later transactions; read-only is unaffected"},
	"transaction_isolation":               {why: "isolation level of this transaction; read-only is unaffected"},
	"default_transaction_deferrable":      {why: "only affects serializable read-only transactions, which it may delay, never make writable"},
	"transaction_deferrable":              {why: "as default_transaction_deferrable, for this transaction"},
	"statement_timeout":                   {why: "a limit on this session; lowering it only ends queries sooner", lowerOnly: true},
	"lock_timeout":                        {why: "a limit on this session; lowering it only ends waits sooner", lowerOnly: true},
	"idle_in_transaction_session_timeout": {why: "a limit on this session; lowering it only ends idle sessions sooner", lowerOnly: true},
	"idle_session_timeout":                {why: "a limit on this session; lowering it only ends idle sessions sooner", lowerOnly: true},
	"enable_seqscan":                      {why: "planner choice; the same rows come back"},
	"enable_indexscan":                    {why: "planner choice; the same rows come back"},
	"enable_indexonlyscan":                {why: "planner choice; the same rows come back"},
	"enable_bitmapscan":                   {why: "planner choice; the same rows come back"},
	"enable_nestloop":                     {why: "planner choice; the same rows come back"},
	"enable_hashjoin":                     {why: "planner choice; the same rows come back"},
	"enable_mergejoin":                    {why: "planner choice; the same rows come back"},
	"enable_sort":                         {why: "planner choice; the same rows come back"},
	"enable_hashagg":                      {why: "planner choice; the same rows come back"},
	"enable_material":                     {why: "planner choice; the same rows come back"},
	"random_page_cost":                    {why: "planner cost estimate; the same rows come back"},
	"seq_page_cost":                       {why: "planner cost estimate; the same rows come back"},
	"plan_cache_mode":                     {why: "generic or custom plans for prepared reads; the same rows come back"},
}

// unsettableWhy says, for settings a client is likely to try, why they
// are not on the settable list; other settings get a general refusal.
var unsettableWhy = map[string]string{
	"client_encoding":                 "it changes how the server reads the bytes of a query, so the proxy's parser would see other statements than the server runs",
	"standard_conforming_strings":     "it changes where the server ends a string literal, so the proxy's parser would see other statements than the server runs",
	"backslash_quote":                 "it changes how the server reads backslashes in string literals",
	"escape_string_warning":           "it belongs to the string-literal settings the proxy keeps at their defaults",
	"default_transaction_read_only":   "the session stays read-only",
	"transaction_read_only":           "the session stays read-only",
	"session_authorization":           "the session keeps the gateway's role",
	"role":                            "the session keeps the gateway's role",
	"session_replication_role":        "it disables triggers and rules",
	"allow_system_table_mods":         "it allows changes to the system catalogs",
	"work_mem":                        "it raises how much memory one query may take on the server",
	"maintenance_work_mem":            "it raises how much memory the server may take",
	"temp_buffers":                    "it raises how much memory the server may take",
	"hash_mem_multiplier":             "it raises how much memory one query may take on the server",
	"zero_damaged_pages":              "it changes how the server handles damaged pages",
	"ignore_checksum_failure":         "it changes how the server handles damaged pages",
	"log_statement":                   "it changes what the server logs",
	"log_min_duration_statement":      "it changes what the server logs",
	"log_min_messages":                "it changes what the server logs",
	"track_activities":                "it changes what the server tracks",
	"track_functions":                 "it changes what the server tracks",
	"track_io_timing":                 "it changes what the server tracks",
	"row_security":                    "it changes how row-level security applies",
	"default_tablespace":              "it only matters to writes, which are refused",
	"temp_tablespaces":                "it only matters to writes, which are refused",
	"synchronous_commit":              "it only matters to writes, which are refused",
	"jit":                             "it changes how much work the server spends compiling queries",
	"max_parallel_workers_per_gather": "it changes how many server processes one query may take",
}

// settingRefusal says why a session may not change the setting name to
// the value given by args (nil: back to the session's default), or "".
// ceilings are the session defaults of the lowerOnly settings.
func settingRefusal(name string, args []*pg_query.Node, ceilings map[string]int64) string {
	name = strings.ToLower(name)
	if pinned, ok := pinnedParams[name]; ok && args != nil && pinnedValue(name, pinned, args) {
		// Setting a pinned setting to its pinned value changes nothing,
		// and drivers do it: libpq's PQsetClientEncoding sends
		// set client_encoding to 'UTF8'.
		return ""
	}
	s, ok := settable[name]
	if !ok {
		if why, ok := unsettableWhy[name]; ok {
			return fmt.Sprintf("changing %s is refused: %s", name, why)
		}
		return fmt.Sprintf("changing %s is refused: only settings on the proxy's reviewed list may change (search_path, application_name, DateStyle, TimeZone, statement_timeout and the like)", name)
	}
	if !s.lowerOnly || args == nil {
		return ""
	}
	if len(args) != 1 {
		return fmt.Sprintf("changing %s is refused: it takes one value", name)
	}
	ms, ok := timeoutValue(args[0])
	if !ok {
		return fmt.Sprintf("changing %s is refused: its value must be a number of milliseconds or a quoted number with a unit (us, ms, s, min, h, d), such as '30s'", name)
	}
	return lowerOnlyRefusal(name, ms, ceilings[name])
}

// pinnedValue reports whether args is the one string constant that means
// pinned, the value the session has for name: any name of UTF8 for
// client_encoding, else pinned itself (or true for on), in any case.
func pinnedValue(name, pinned string, args []*pg_query.Node) bool {
	if len(args) != 1 {
		return false
	}
	c := args[0].GetAConst()
	if c == nil || c.Isnull || c.GetSval() == nil {
		return false
	}
	v := c.GetSval().Sval
	if name == "client_encoding" {
		return utf8Name(v)
	}
	return strings.EqualFold(v, pinned) || (pinned == "on" && strings.EqualFold(v, "true"))
}

// lowerOnlyRefusal judges a timeout of ms milliseconds against the
// session's default ceiling (0: none).
func lowerOnlyRefusal(name string, ms float64, ceiling int64) string {
	switch {
	case ceiling == 0 && ms == 0:
		return "" // the default: no limit
	case ms < 1:
		// Below 1 ms the server rounds to 0, which disables the limit.
		return fmt.Sprintf("changing %s to 0 (no limit) is refused: it may only be lowered", name)
	case ceiling > 0 && ms > float64(ceiling):
		return fmt.Sprintf("changing %s above the session's default of %d ms is refused: it may only be lowered", name, ceiling)
	}
	return ""
}

// timeoutValue reads a constant given to a timeout setting as
// milliseconds: an integer or decimal constant (milliseconds), or a
// string holding one with an optional unit. Anything the server might read
// otherwise — hexadecimal, octal, signs, expressions — is not a value.
func timeoutValue(n *pg_query.Node) (float64, bool) {
	c := n.GetAConst()
	if c == nil || c.Isnull {
		return 0, false
	}
	switch {
	case c.GetIval() != nil:
		return float64(c.GetIval().Ival), c.GetIval().Ival >= 0
	case c.GetFval() != nil:
		return parseTimeout(c.GetFval().Fval)
	case c.GetSval() != nil:
		return parseTimeout(c.GetSval().Sval)
	}
	return 0, false
}

var timeUnits = map[string]float64{"": 1, "us": 0.001, "ms": 1, "s": 1000, "min": 60000, "h": 3600000, "d": 86400000}

// parseTimeout reads "250", "1.5s", " 30 min " as milliseconds.
func parseTimeout(v string) (float64, bool) {
	v = strings.TrimSpace(v)
	i := 0
	for i < len(v) && (isDigit(v[i]) || v[i] == '.') {
		i++
	}
	num, unit := v[:i], strings.TrimSpace(v[i:])
	if num == "" || (len(num) > 1 && num[0] == '0' && num[1] != '.') {
		return 0, false // the server reads a leading 0 as octal
	}
	f, err := strconv.ParseFloat(num, 64)
	mult, ok := timeUnits[unit]
	if err != nil || !ok || math.IsInf(f*mult, 0) {
		return 0, false
	}
	return f * mult, true
}

// utf8Name reports whether an encoding name means UTF8 to the server,
// which ignores case and punctuation and knows UTF8 also as UNICODE.
func utf8Name(name string) bool {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String() == "utf8" || b.String() == "unicode"
}
