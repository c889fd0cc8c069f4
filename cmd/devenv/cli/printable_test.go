package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// TestListsCannotDriveTheTerminal: reasons and audit details another user
// wrote are printed with their escape sequences made visible.
func TestListsCannotDriveTheTerminal(t *testing.T) {
	var b strings.Builder
	rs := []hubapi.Request{{ID: "r1", Requester: "ann", Target: "db", State: hubapi.StatePending, For: time.Hour,
		Reason: "1h\x1b[9Dasks 5m", Created: time.Now()}}
	if err := writeRequests(&b, rs, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := writeOpenAccess(&b, rs, time.Now()); err != nil {
		t.Fatal(err)
	}
	recs := []hubapi.AuditRecord{{Seq: 1, Actor: "ann", Action: "operation", Detail: map[string]string{"path": "/\x1b]0;owned\x07"}}}
	if err := writeAudit(&b, recs); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("raw control characters in the output:\n%q", out)
	}
	for _, want := range []string{`1h\x1b[9Dasks 5m`, `/\x1b]0;owned\x07`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in:\n%s", want, out)
		}
	}
}
