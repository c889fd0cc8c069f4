package redis

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheck(t *testing.T) {
	ro := map[string]bool{"readonly": true, "fast": true}
	tab := Table{
		"get":     {Name: "get", Flags: ro, First: 1, Last: 1, Step: 1},
		"mget":    {Name: "mget", Flags: ro, First: 1, Last: -1, Step: 1},
		"set":     {Name: "set", Flags: map[string]bool{"write": true}, First: 1, Last: 1, Step: 1},
		"pfcount": {Name: "pfcount", Flags: ro, First: 1, Last: -1, Step: 1, WritesKeys: true},
		"sort_ro": {Name: "sort_ro", Flags: ro, First: 1, Last: 1, Step: 1},
		"object": {Name: "object", Flags: map[string]bool{}, Subcommands: map[string]*Command{
			"object|encoding": {Name: "object|encoding", Flags: ro, First: 2, Last: 2, Step: 1},
		}},
		"eval_ro": {Name: "eval_ro", Flags: ro},
		"keys":    {Name: "keys", Flags: ro},
	}
	type verdict struct {
		Name   string
		Keys   int
		Reason string
	}
	for _, tc := range []struct {
		name string
		cmd  string
		want verdict
	}{
		{"read", "GET k", verdict{"get", 1, ""}},
		{"keys counted to the end", "mget a b c", verdict{"mget", 3, ""}},
		{"write", "SET k v", verdict{"set", 1, "SET is not a read-only command"}},
		{"readonly but writes its key", "PFCOUNT h", verdict{"pfcount", 1, "PFCOUNT may write its keys"}},
		{"store option", "SORT_RO k store d", verdict{"sort_ro", 1, "SORT_RO with STORE writes"}},
		{"subcommand", "OBJECT encoding k", verdict{"object|encoding", 1, ""}},
		{"unknown subcommand", "OBJECT nope k", verdict{"object|nope", 0, "unknown subcommand OBJECT NOPE"}},
		{"container alone", "OBJECT", verdict{"object", 0, "OBJECT without a subcommand"}},
		{"scripting flagged readonly", "EVAL_RO x 0", verdict{"eval_ro", 0, "EVAL_RO: scripting is refused"}},
		{"keys", "KEYS *", verdict{"keys", 0, "KEYS: KEYS blocks the server while it walks every key; use SCAN"}},
		{"unknown", "FROB\x01 k", verdict{"frob\x01", 0, "unknown command FROB?"}},
		{"connection", "PING", verdict{"ping", 0, ""}},
		{"client allowed", "CLIENT SETNAME x", verdict{"client|setname", 0, ""}},
		{"client refused", "CLIENT REPLY OFF", verdict{"client|reply", 0, "CLIENT REPLY is not allowed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args, err := SplitArgs(tc.cmd)
			if err != nil {
				t.Fatal(err)
			}
			var got verdict
			got.Name, got.Keys, got.Reason = tab.Check(args)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Check(%q) (-want +got):\n%s", tc.cmd, d)
			}
		})
	}
}

func TestStripHelloAuth(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"HELLO 3 AUTH u p SETNAME n", "HELLO 3 SETNAME n"},
		{"HELLO 3 SETNAME auth AUTH u p", "HELLO 3 SETNAME auth"},
		{"HELLO", "HELLO"},
	} {
		in, _ := SplitArgs(tc.in)
		var got string
		for i, a := range stripHelloAuth(in) {
			if i > 0 {
				got += " "
			}
			got += string(a)
		}
		if got != tc.want {
			t.Errorf("stripHelloAuth(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "requirepass", true}, {"", "", true}, {"", "a", false}, {"*pass", "requirepass", true},
		{"re?uire*", "requirepass", true}, {"*e*e*e*", "requirepass", false}, {"*e*e*", "requirepass", true},
		{"maxmemory*", "requirepass", false}, {"requirepass?", "requirepass", false}, {"**", "", true},
		{"a*b*c", "aXbYc", true}, {"a*b*c", "aXbYd", false}, {"?", "", false},
	} {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}
