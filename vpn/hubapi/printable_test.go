package hubapi

import "testing"

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
	r := Request{Reason: "x\x1b[2J", DenyReason: "\u202e", Requester: "ann"}.Printable()
	if r.Reason != `x\x1b[2J` || r.DenyReason != `\u202e` || r.Requester != "ann" {
		t.Errorf("Request.Printable: %+v", r)
	}
	a := AuditRecord{Detail: map[string]string{"path": "/\x1b]0;pwned\x07"}}.Printable()
	if a.Detail["path"] != `/\x1b]0;pwned\x07` {
		t.Errorf("AuditRecord.Printable: %+v", a.Detail)
	}
}
