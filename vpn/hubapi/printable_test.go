package hubapi

import "testing"

func TestPrintable(t *testing.T) {
	if got := Printable("1h\x1b[9Dasks"); got != `1h\x1b[9Dasks` {
		t.Errorf("Printable: %q", got)
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
