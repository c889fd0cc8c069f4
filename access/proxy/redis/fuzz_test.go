package redis

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzReadCommand checks the client-side reader on any input: it never
// panics, and what it reads re-encodes to a command that reads back the
// same, so what the policy checked is what goes upstream. A Reader with a
// command limit consumes exactly what one without does — an oversized
// command is discarded to its end, so the next one is read from its start
// — and answers ErrTooLarge only for a command over the limit, with the
// arguments that fitted.
func FuzzReadCommand(f *testing.F) {
	for _, s := range []string{"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "GET \"a\\x41\\n\" 'b\\'c'\r\n\r\n*0\r\n*-1\r\nPING\n",
		"*1\r\n$-1\r\n", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$999999999\r\n", "\"unbalanced\r\n",
		"*3\r\n$4\r\nMGET\r\n$40\r\n0123456789012345678901234567890123456789\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n",
		"*5\r\n$4\r\nMGET\r\n$134217728\r\nAAAA", "*4\r\n$0\r\n\r\n$0\r\n\r\n$0\r\n\r\n$0\r\n\r\n*1\r\n$1\r\nx\r\n"} {
		f.Add([]byte(s), uint16(64))
	}
	f.Fuzz(func(t *testing.T, in []byte, limit uint16) {
		br, lbr := bytes.NewReader(in), bytes.NewReader(in)
		r, lr := NewReader(br), NewReader(lbr)
		lr.SetCommandLimit(int(limit))
		for range 100 {
			args, err := r.ReadCommand()
			largs, lerr := lr.ReadCommand()
			if consumed, lconsumed := len(in)-br.Len()-r.Buffered(), len(in)-lbr.Len()-lr.Buffered(); consumed != lconsumed {
				t.Fatalf("with limit %d the reader consumed %d bytes, without %d", limit, lconsumed, consumed)
			}
			if err != nil {
				if !errors.Is(err, ErrProtocol) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("unexpected error kind: %v", err)
				}
				if lerr == nil || errors.Is(lerr, ErrTooLarge) || err.Error() != lerr.Error() {
					t.Fatalf("without a limit: %v; with limit %d: %v", err, limit, lerr)
				}
				return
			}
			if len(args) == 0 {
				t.Fatal("an empty command was returned")
			}
			size := 0
			for _, a := range args {
				size += len(a) + argOverhead
			}
			switch {
			case errors.Is(lerr, ErrTooLarge):
				if limit == 0 || size <= int(limit) || len(largs) > len(args) ||
					!slices.EqualFunc(largs, args[:len(largs)], bytes.Equal) {
					t.Fatalf("%q of %d bytes: ErrTooLarge under limit %d with %q", args, size, limit, largs)
				}
			case lerr != nil || !slices.EqualFunc(args, largs, bytes.Equal):
				t.Fatalf("%q: with limit %d %q, %v", args, limit, largs, lerr)
			}
			again, err := NewReader(bytes.NewReader(AppendCommand(nil, args...))).ReadCommand()
			if err != nil || !slices.EqualFunc(args, again, bytes.Equal) {
				t.Fatalf("re-encoded %q read back as %q, %v", args, again, err)
			}
		}
	})
}

// FuzzReadReply checks the upstream-side reader: no panic, a reply it
// accepts is passed on byte for byte, and ReadReplyLimit consumes exactly
// what ReadReply does whatever the limit — a reply over the limit is
// discarded, never left half-read on a connection that other sessions
// share — and keeps the reply whole when it fits.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{"+OK\r\n", "-ERR x\r\n", ":1\r\n", "$3\r\nabc\r\n", "$-1\r\n", "*-1\r\n",
		"*2\r\n$1\r\na\r\n:2\r\n", "%1\r\n+k\r\n,1.5\r\n", "~1\r\n#t\r\n", "|1\r\n+a\r\n+b\r\n_\r\n",
		">2\r\n+m\r\n(123\r\n", "=7\r\ntxt:abc\r\n", "!3\r\nerr\r\n",
		"*3\r\n$5\r\nhello\r\n$5\r\nworld\r\n$3\r\nbig\r\n+NEXT\r\n", "$10\r\n0123456789\r\n:7\r\n",
		"*2000000\r\n:1\r\n", "$10\r\n0123456789XX"} {
		f.Add([]byte(s), uint16(8))
	}
	f.Fuzz(func(t *testing.T, in []byte, limit uint16) {
		br := bytes.NewReader(in)
		r := NewReader(br)
		raw, err := r.ReadReply(nil)
		consumed := len(in) - br.Len() - r.Buffered()
		lbr := bytes.NewReader(in)
		lr := NewReader(lbr)
		kept, over, lerr := lr.ReadReplyLimit([]byte("pre"), int(limit))
		if (err == nil) != (lerr == nil) {
			t.Fatalf("ReadReply: %v; ReadReplyLimit(%d): %v", err, limit, lerr)
		}
		if err != nil {
			return
		}
		if lconsumed := len(in) - lbr.Len() - lr.Buffered(); lconsumed != consumed {
			t.Fatalf("ReadReplyLimit(%d) consumed %d bytes, ReadReply %d", limit, lconsumed, consumed)
		}
		switch {
		case over && (len(raw) <= int(limit) || string(kept) != "pre"):
			t.Fatalf("ReadReplyLimit(%d) of %q: over with %q", limit, raw, kept)
		case !over && string(kept) != "pre"+string(raw):
			t.Fatalf("ReadReplyLimit(%d) kept %q, want %q", limit, kept, raw)
		}
		if !bytes.HasPrefix(in, raw) {
			t.Fatalf("reply %q is not a prefix of the input %q", raw, in)
		}
		if _, err := NewReader(bytes.NewReader(raw)).ReadValue(); err != nil {
			t.Fatalf("accepted reply %q does not parse as a value: %v", raw, err)
		}
	})
}

// FuzzCostRefusal checks the count limits on any arguments: no panic,
// option names are matched whatever their case, as Redis matches them,
// and an allowed SCAN-family command has no COUNT over the limit where
// Redis would read one.
func FuzzCostRefusal(f *testing.F) {
	for _, s := range []string{"SCAN 0 MATCH * COUNT 2000000", "SCAN 0 MATCH COUNT COUNT 5", "SSCAN s 0 COUNT 1001",
		"SRANDMEMBER s -1100000", "MEMORY USAGE k SAMPLES 0", "XINFO STREAM st FULL COUNT 0", "HSCAN h 0 count",
		"ZSCAN z 0 TYPE COUNT COUNT 2", "HRANDFIELD h -9223372036854775808 WITHVALUES"} {
		f.Add(s)
	}
	names := []string{"scan", "sscan", "hscan", "zscan", "srandmember", "hrandfield", "zrandmember", "memory|usage", "xinfo|stream"}
	f.Fuzz(func(t *testing.T, line string) {
		args, err := SplitArgs(line)
		if err != nil || len(args) == 0 {
			return
		}
		for _, name := range names {
			reason := costRefusal(name, args, 1000)
			upper := make([][]byte, len(args))
			for i, a := range args {
				upper[i] = bytes.ToUpper(a)
			}
			if again := costRefusal(name, upper, 1000); (again == "") != (reason == "") {
				t.Fatalf("%s %q: %q, in upper case %q", name, args, reason, again)
			}
			if reason != "" || !strings.HasSuffix(name, "scan") {
				continue
			}
			from := 2
			if name != "scan" {
				from = 3
			}
			// As Redis's scanGenericCommand reads options: an unknown one
			// is a syntax error and nothing runs.
			for i := from; i < len(args); {
				switch opt := strings.ToLower(string(args[i])); {
				case opt == "novalues":
					i++
					continue
				case i+1 >= len(args) || opt != "count" && opt != "match" && opt != "type":
					i = len(args)
					continue
				case opt == "count":
					if n, err := strconv.ParseInt(string(args[i+1]), 10, 64); err != nil || n < 1 || n > 1000 {
						t.Fatalf("%s %q allowed with COUNT %q", name, args, args[i+1])
					}
				}
				i += 2
			}
		}
	})
}

// FuzzConfigGet checks the CONFIG GET filter: a pattern it allows matches
// no secret parameter under a reference matcher (dynamic programming, not
// globMatch's backtracking), in any case.
func FuzzConfigGet(f *testing.F) {
	for _, s := range []string{"*", "maxmemory*", "re?uirepass", "*e*", "[r]equirepass", "MASTERAUTH", "tls-*-pass", "*-file-*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		if configGetRefusal([][]byte{[]byte(pattern)}) != "" {
			return
		}
		for _, s := range secretConfig {
			if refMatch(asciiLower(pattern), s) {
				t.Fatalf("CONFIG GET %q allowed, but it matches %s", pattern, s)
			}
		}
	})
}

// refMatch is * and ? matching by dynamic programming: m[j] says whether
// the pattern read so far matches s[:j].
func refMatch(pattern, s string) bool {
	m := make([]bool, len(s)+1)
	m[0] = true
	for _, c := range []byte(pattern) {
		next := make([]bool, len(s)+1)
		for j := range next {
			switch c {
			case '*':
				next[j] = m[j] || (j > 0 && next[j-1])
			default:
				next[j] = j > 0 && m[j-1] && (c == '?' || c == s[j-1])
			}
		}
		m = next
	}
	return m[len(s)]
}
