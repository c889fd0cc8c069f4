package format

import "testing"

func TestOrDash(t *testing.T) {
	if OrDash("") != "-" || OrDash("x") != "x" {
		t.Errorf(`OrDash: "" = %q, "x" = %q`, OrDash(""), OrDash("x"))
	}
}

func TestBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{3 << 20, "3.0 MiB"},
		{5<<30 + 512<<20, "5.5 GiB"},
		{1 << 62, "4.0 EiB"},
	}
	for _, tt := range tests {
		if got := Bytes(tt.n); got != tt.want {
			t.Errorf("Bytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestShort(t *testing.T) {
	tests := []struct{ name, got, want string }{
		{"key", ShortKey("HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="), "HIgo9xNz…"},
		{"short key", ShortKey("abc"), "abc"},
		{"key of eight", ShortKey("abcdefgh"), "abcdefgh"},
		{"digest", ShortDigest("sha256:0123456789abcdef0123"), "0123456789ab"},
		{"bare ID", ShortDigest("0123456789abcdef"), "0123456789ab"},
		{"short ID", ShortDigest("abc"), "abc"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestOneLine(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{name: "folds whitespace", in: "  a\n\tb  c\r\n", want: "a b c"},
		{name: "escapes after folding", in: "x\x1b[2J y", want: `x\x1b[2J y`},
		{name: "cuts with an ellipsis", in: "abcdefghij", max: 5, want: "abcd…"},
		{name: "cuts runes, not bytes", in: "ведомость", max: 4, want: "вед…"},
		{name: "fits", in: "abcde", max: 5, want: "abcde"},
		{name: "uncut", in: "abcdefghij", max: 0, want: "abcdefghij"},
	}
	for _, tt := range tests {
		if got := OneLine(tt.in, tt.max); got != tt.want {
			t.Errorf("%s: OneLine(%q, %d) = %q, want %q", tt.name, tt.in, tt.max, got, tt.want)
		}
	}
}

func TestPrintable(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "plain", in: "bug 1234: 500s on /reports", want: "bug 1234: 500s on /reports"},
		{name: "unicode stays", in: "Störung – ведомость 日本", want: "Störung – ведомость 日本"},
		{name: "cursor movement", in: "1h\x1b[9Dasks 5m", want: `1h\x1b[9Dasks 5m`},
		{name: "C1 CSI", in: "a\u009b2Jb", want: `a\x9b2Jb`},
		{name: "bidi override", in: "approve \u202eevil\u202c", want: `approve \u202eevil\u202c`},
		{name: "zero width", in: "ad\u200bmin", want: `ad\u200bmin`},
		{name: "newline and tab", in: "a\nb\tc", want: `a\x0ab\x09c`},
		{name: "DEL", in: "x\x7fy", want: `x\x7fy`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Printable(tt.in)
			if got != tt.want {
				t.Errorf("Printable(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := Printable(got); again != got {
				t.Errorf("not idempotent: %q then %q", got, again)
			}
		})
	}
}
