package redis

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"
)

// FuzzReadCommand checks the client-side reader on any input: it never
// panics, and what it reads re-encodes to a command that reads back the
// same, so what the policy checked is what goes upstream.
func FuzzReadCommand(f *testing.F) {
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"))
	f.Add([]byte("GET \"a\\x41\\n\" 'b\\'c'\r\n\r\n*0\r\n*-1\r\nPING\n"))
	f.Add([]byte("*1\r\n$-1\r\n"))
	f.Add([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$999999999\r\n"))
	f.Add([]byte("\"unbalanced\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(bytes.NewReader(in))
		for range 100 {
			args, err := r.ReadCommand()
			if err != nil {
				if !errors.Is(err, ErrProtocol) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("unexpected error kind: %v", err)
				}
				return
			}
			if len(args) == 0 {
				t.Fatal("an empty command was returned")
			}
			again, err := NewReader(bytes.NewReader(AppendCommand(nil, args...))).ReadCommand()
			if err != nil || !slices.EqualFunc(args, again, bytes.Equal) {
				t.Fatalf("re-encoded %q read back as %q, %v", args, again, err)
			}
		}
	})
}

// FuzzReadReply checks the upstream-side reader: no panic, and a reply it
// accepts is passed on byte for byte.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{"+OK\r\n", "-ERR x\r\n", ":1\r\n", "$3\r\nabc\r\n", "$-1\r\n", "*-1\r\n",
		"*2\r\n$1\r\na\r\n:2\r\n", "%1\r\n+k\r\n,1.5\r\n", "~1\r\n#t\r\n", "|1\r\n+a\r\n+b\r\n_\r\n",
		">2\r\n+m\r\n(123\r\n", "=7\r\ntxt:abc\r\n", "!3\r\nerr\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		raw, err := NewReader(bytes.NewReader(in)).ReadReply(nil)
		if err != nil {
			return
		}
		if !bytes.HasPrefix(in, raw) {
			t.Fatalf("reply %q is not a prefix of the input %q", raw, in)
		}
		if _, err := NewReader(bytes.NewReader(raw)).ReadValue(); err != nil {
			t.Fatalf("accepted reply %q does not parse as a value: %v", raw, err)
		}
	})
}
