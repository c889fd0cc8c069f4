package redis

import (
	"fmt"
	"strconv"
	"strings"
)

// Command is what the upstream's COMMAND reply says about one command or
// subcommand.
type Command struct {
	Name              string // lowercase; a subcommand is "container|sub"
	Flags             map[string]bool
	First, Last, Step int // key positions, as in COMMAND
	WritesKeys        bool
	Subcommands       map[string]*Command // by full name
}

// Table is the upstream's command table, learned once per Handler.
type Table map[string]*Command

// ParseTable reads the reply to COMMAND (RESP2 or RESP3).
func ParseTable(v Value) (Table, error) {
	if v.Type != '*' && v.Type != '~' {
		return nil, fmt.Errorf("reading COMMAND: unexpected reply type %q %s", v.Type, v.Str)
	}
	t := Table{}
	for _, e := range v.Elems {
		c, err := parseCommand(e)
		if err != nil {
			return nil, fmt.Errorf("reading COMMAND: %w", err)
		}
		t[c.Name] = c
	}
	if len(t) == 0 {
		return nil, fmt.Errorf("reading COMMAND: empty command table")
	}
	return t, nil
}

func parseCommand(e Value) (*Command, error) {
	if len(e.Elems) < 6 {
		return nil, fmt.Errorf("command entry with %d fields", len(e.Elems))
	}
	c := &Command{Name: strings.ToLower(e.Elems[0].Str), Flags: map[string]bool{}}
	for _, f := range e.Elems[2].Elems {
		c.Flags[strings.ToLower(f.Str)] = true
	}
	c.First, _ = strconv.Atoi(e.Elems[3].Str)
	c.Last, _ = strconv.Atoi(e.Elems[4].Str)
	c.Step, _ = strconv.Atoi(e.Elems[5].Str)
	if len(e.Elems) > 8 {
		c.WritesKeys = specsWrite(e.Elems[8])
	}
	if len(e.Elems) > 9 && len(e.Elems[9].Elems) > 0 {
		c.Subcommands = map[string]*Command{}
		for _, se := range e.Elems[9].Elems {
			sc, err := parseCommand(se)
			if err != nil {
				return nil, err
			}
			c.Subcommands[sc.Name] = sc
		}
	}
	return c, nil
}

// specsWrite says whether any key spec may write its key: PFCOUNT is
// flagged readonly but may rewrite the cached cardinality of its key, and
// says so with an RW key spec.
func specsWrite(specs Value) bool {
	for _, spec := range specs.Elems {
		kv := spec.Elems
		for i := 0; i+1 < len(kv); i += 2 {
			if !strings.EqualFold(kv[i].Str, "flags") {
				continue
			}
			for _, f := range kv[i+1].Elems {
				switch strings.ToUpper(f.Str) {
				case "RW", "OW", "RM", "INSERT", "DELETE", "UPDATE":
					return true
				}
			}
		}
	}
	return false
}

// refusedCommands are refused even when the upstream flags them readonly.
var refusedCommands = map[string]string{}

func init() {
	for _, n := range []string{"eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro", "script", "function"} {
		refusedCommands[n] = "scripting is refused"
	}
	for _, n := range []string{"config", "module", "debug", "monitor", "migrate", "save", "bgsave", "bgrewriteaof",
		"replicaof", "slaveof", "shutdown", "sync", "psync", "acl", "cluster", "failover", "latency",
		"slowlog", "swapdb", "flushall", "flushdb", "restore-asking", "replconf"} {
		refusedCommands[n] = "administrative commands are refused"
	}
	for _, n := range []string{"subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe",
		"sunsubscribe", "publish", "spublish", "pubsub"} {
		refusedCommands[n] = "Pub/Sub is refused"
	}
	refusedCommands["keys"] = "KEYS blocks the server while it walks every key; use SCAN"
}

// debugReads are the administrative reads a developer debugging the
// server needs. They only report, so they are allowed by name whatever
// the upstream flags them (admin, pubsub, nothing) and whichever rule
// refuses their container; every other subcommand of those containers
// (SLOWLOG RESET, CONFIG SET, LATENCY RESET, MEMORY PURGE, FUNCTION
// LOAD, …) stays refused.
var debugReads = map[string]bool{
	"slowlog|get": true, "slowlog|len": true,
	"latency|latest": true, "latency|doctor": true, "latency|history": true,
	"memory|stats": true, "memory|doctor": true,
	"client|list": true, "client|info": true,
	"config|get":   true,
	"cluster|info": true, "cluster|nodes": true, "cluster|slots": true,
	"acl|whoami":      true,
	"pubsub|channels": true, "pubsub|numsub": true,
	"function|list": true,
	"role":          true, "lastsave": true,
}

// secretConfig are the configuration parameters whose values are
// secrets: CONFIG GET refuses any pattern that matches one.
var secretConfig = []string{"requirepass", "masterauth", "masteruser", "tls-key-file-pass", "tls-client-key-file-pass"}

// configGetRefusal is why CONFIG GET patterns are refused: a pattern that
// matches a secret parameter (as "*" does), or one with Redis's [classes]
// or \ escapes, which this does not read the way Redis does.
func configGetRefusal(patterns [][]byte) string {
	for _, p := range patterns {
		ps := string(p)
		if strings.ContainsAny(ps, "[\\") {
			return fmt.Sprintf("CONFIG GET %s: patterns with [ or \\ are not allowed", printable(ps))
		}
		lower := asciiLower(ps) // as Redis's nocase matching folds
		for _, w := range []string{"pass", "auth", "secret"} {
			if strings.Contains(lower, w) {
				return fmt.Sprintf("CONFIG GET %s: parameters holding secrets are not shown", printable(ps))
			}
		}
		for _, s := range secretConfig {
			if globMatch(lower, s) {
				return fmt.Sprintf("CONFIG GET %s: the pattern matches %s, which holds a secret", printable(ps), s)
			}
		}
	}
	return ""
}

// asciiLower folds ASCII letters only, byte by byte.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// globMatch matches s against a pattern of * (any run of bytes) and ?
// (any one byte), as Redis's stringmatch does for such patterns.
func globMatch(pattern, s string) bool {
	p, i := 0, 0
	star, from := -1, 0 // the last * seen, and where in s its run ends now
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, from = p, i
			p++
		case star >= 0:
			from++
			p, i = star+1, from
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// connectionCommands are allowed although not flagged readonly: they
// change only the connection's own state or report on the server.
// A nil set allows every subcommand.
var connectionCommands = map[string]map[string]bool{
	"ping": nil, "echo": nil, "select": nil, "hello": nil, "time": nil, "info": nil,
	"watch": nil, "unwatch": nil,
	"client":  {"setname": true, "getname": true, "id": true, "info": true, "setinfo": true},
	"command": {"count": true, "info": true, "docs": true, "list": true, "getkeys": true, "getkeysandflags": true},
}

// storeOptions are arguments that make a read a write; their commands are
// flagged write upstream already, this is a second fence.
var storeOptions = map[string][]string{
	"sort": {"store"}, "sort_ro": {"store"},
	"georadius": {"store", "storedist"}, "georadius_ro": {"store", "storedist"},
	"georadiusbymember": {"store", "storedist"}, "georadiusbymember_ro": {"store", "storedist"},
}

// Check decides one command. name is what the audit records ("get",
// "object|encoding"), keys how many keys it names, and reason, empty when
// allowed, the rule that refuses it.
func (t Table) Check(args [][]byte) (name string, keys int, reason string) {
	return t.check(t.name(args[0]), args)
}

// name is a command's name in lowercase; for a command the table knows it
// is the table's own string, so that naming the command costs nothing.
func (t Table) name(cmd []byte) string {
	var lower [32]byte
	if len(cmd) <= len(lower) {
		l := lower[:len(cmd)]
		for i, c := range cmd {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			l[i] = c
		}
		if c, ok := t[string(l)]; ok {
			return c.Name
		}
	}
	return strings.ToLower(string(cmd))
}

// check is Check of a command whose name is already in lowercase.
func (t Table) check(name string, args [][]byte) (string, int, string) {
	full := name
	if c := t[name]; c != nil && len(c.Subcommands) > 0 && len(args) > 1 {
		full = name + "|" + strings.ToLower(string(args[1]))
	}
	if debugReads[full] {
		if full == "config|get" {
			if r := configGetRefusal(args[2:]); r != "" {
				return full, 0, r
			}
		}
		return full, 0, ""
	}
	if r, ok := refusedCommands[name]; ok {
		if full != name {
			return full, 0, display(printable(full)) + ": " + r
		}
		return name, 0, display(name) + ": " + r
	}
	if subs, ok := connectionCommands[name]; ok {
		if subs == nil {
			return name, t.keys(name, args), ""
		}
		if len(args) < 2 {
			return name, 0, ""
		}
		full := name + "|" + strings.ToLower(string(args[1]))
		if !subs[strings.ToLower(string(args[1]))] {
			return full, 0, fmt.Sprintf("%s is not allowed", display(printable(full)))
		}
		return full, 0, ""
	}
	c := t[name]
	if c == nil {
		return name, 0, fmt.Sprintf("unknown command %s", display(printable(name)))
	}
	if len(c.Subcommands) > 0 {
		if len(args) < 2 {
			return name, 0, fmt.Sprintf("%s without a subcommand", display(name))
		}
		full := name + "|" + strings.ToLower(string(args[1]))
		if c = c.Subcommands[full]; c == nil {
			return full, 0, fmt.Sprintf("unknown subcommand %s", display(printable(full)))
		}
		name = full
	}
	if r := refusal(c); r != "" {
		return name, c.count(args), r
	}
	for _, opt := range storeOptions[name] {
		for _, a := range args[1:] {
			if strings.EqualFold(string(a), opt) {
				return name, c.count(args), fmt.Sprintf("%s with %s writes", display(name), strings.ToUpper(opt))
			}
		}
	}
	return name, c.count(args), ""
}

// Stateful says whether an allowed command depends on or changes the
// state of its upstream connection — database, protocol, name, watched
// keys, a transaction, the login — or may block it. Such a command cannot
// share a connection with other clients. name is what Check returned.
func (t Table) Stateful(name string, args [][]byte) bool {
	switch name {
	case "select", "hello", "watch", "multi", "exec", "reset", "readonly", "readwrite", "asking":
		return true
	case "client":
		return true
	case "client|list", "client|info":
		// They report and change nothing: on a shared connection CLIENT
		// INFO describes that connection, the one running the session's
		// commands.
		return false
	}
	if strings.HasPrefix(name, "client|") {
		return true
	}
	c := t[name]
	if c == nil || !c.Flags["blocking"] {
		return false
	}
	if name != "xread" {
		return true
	}
	for _, a := range args[1:] { // XREAD blocks only with BLOCK
		if strings.EqualFold(string(a), "block") {
			return true
		}
	}
	return false
}

func refusal(c *Command) string {
	if !c.Flags["readonly"] {
		return fmt.Sprintf("%s is not a read-only command", display(c.Name))
	}
	for _, f := range []string{"write", "admin", "pubsub", "may_replicate"} {
		if c.Flags[f] {
			return fmt.Sprintf("%s is flagged %s", display(c.Name), f)
		}
	}
	if c.WritesKeys {
		return fmt.Sprintf("%s may write its keys", display(c.Name))
	}
	return ""
}

func (t Table) keys(name string, args [][]byte) int {
	if c := t[name]; c != nil {
		return c.count(args)
	}
	return 0
}

// count is the number of keys args name by COMMAND's first, last and step;
// for commands with movable keys it counts the fixed ones only.
func (c *Command) count(args [][]byte) int {
	first, last, step := c.First, c.Last, c.Step
	if first <= 0 || first >= len(args) {
		return 0
	}
	if last < 0 {
		last += len(args)
	}
	last = min(last, len(args)-1)
	if step <= 0 {
		step = 1
	}
	if last < first {
		return 0
	}
	return (last-first)/step + 1
}

// display is how a command is named to the client: "OBJECT ENCODING".
func display(name string) string {
	return strings.ToUpper(strings.ReplaceAll(name, "|", " "))
}

// printable makes a client-chosen name safe inside a one-line error.
func printable(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return oneLine(s)
}

// oneLine replaces control characters, so s fits an error reply.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return '?'
		}
		return r
	}, s)
}
