package accesshub

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// TestRefusalsAudited: every refused access action leaves a record of its
// own saying who, what, on what and why, though its transaction rolled back.
func TestRefusalsAudited(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	mine := ah.mustRequest(t, "bob", "db-ro", time.Hour)
	alices := ah.mustRequest(t, "alice", "prod-db", time.Hour)
	granted := ah.granted(t, "db-ro", time.Hour)
	tests := []struct {
		name, actor, action, target, id, code string
		do                                    func() error
	}{
		{"self-approval", "bob", "approve", "db-ro", mine.ID, "self_approval",
			func() error { _, err := ah.approve(t, "bob", mine.ID, 0); return err }},
		{"a developer approves", "erin", "approve", "prod-db", alices.ID, "forbidden",
			func() error { _, err := ah.approve(t, "erin", alices.ID, 0); return err }},
		{"not an approver of the target", "carol", "approve", "prod-db", alices.ID, "not_approver",
			func() error { _, err := ah.approve(t, "carol", alices.ID, 0); return err }},
		{"a developer denies", "erin", "deny", "prod-db", alices.ID, "forbidden", func() error {
			_, err := ah.decide(t, "erin", hubapi.PathDeny, hubapi.DenyRequest{ID: alices.ID, Reason: "no"})
			return err
		}},
		{"revoking another's grant", "erin", "revoke", "db-ro", granted.ID, "request_unknown", func() error {
			_, err := ah.decide(t, "erin", hubapi.PathRevokeGrant, hubapi.RevokeGrantRequest{ID: granted.ID})
			return err
		}},
		{"reading another's grant", "erin", "read_grant", "db-ro", granted.ID, "request_unknown",
			func() error { _, err := ah.grant(t, "erin", granted.ID, false); return err }},
		{"a TTL over the maximum", "alice", "request", "prod-db", "", "too_long", func() error {
			_, err := ah.request(t, "alice", hubapi.AccessRequest{Target: "prod-db", For: 2 * time.Hour})
			return err
		}},
		{"emergency without break-glass", "alice", "emergency", "prod-db", "", "no_break_glass", func() error {
			_, err := ah.request(t, "alice", hubapi.AccessRequest{Target: "prod-db", For: time.Minute, Emergency: true})
			return err
		}},
		{"listing others' requests", "erin", "list", "", "", "forbidden", func() error {
			return ah.client.do(t.Context(), http.MethodGet, hubapi.PathRequests+"?state=all", ah.tokens["erin"], nil, nil)
		}},
		{"reading the audit trail", "alice", "read_audit", "", "", "forbidden", func() error {
			return ah.client.do(t.Context(), http.MethodGet, hubapi.PathAudit, ah.tokens["alice"], nil, nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); errCode(err) != tt.code {
				t.Fatalf("got %v, want code %s", err, tt.code)
			}
			recs := ah.auditRecords(t)
			last := recs[len(recs)-1]
			if last.Actor != tt.actor || last.Action != tt.action || last.Target != tt.target || last.RequestID != tt.id ||
				last.Verdict != "refused" || last.Detail["code"] != tt.code || last.Detail["reason"] == "" || last.Detail["device"] == "" {
				t.Errorf("last record %+v, want %s's refused %s of %q/%q (%s)", last, tt.actor, tt.action, tt.target, tt.id, tt.code)
			}
		})
	}
}

// TestRefusalFloodIsBounded: refusals cost the store no more than allowed
// actions do: each record is small whatever the caller sends, and past
// refusalBurst a minute they are counted, not recorded one by one.
func TestRefusalFloodIsBounded(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	r := ah.mustRequest(t, "alice", "prod-db", time.Hour)
	before := len(ah.auditRecords(t))
	longID := r.ID + strings.Repeat("x", 30<<10)
	for range refusalBurst + 20 {
		if _, err := ah.approve(t, "erin", longID, 0); errCode(err) != "forbidden" {
			t.Fatalf("a developer approves an unknown request: %v", err) // the role is checked first
		}
		if _, err := ah.approve(t, "erin", r.ID, 0); errCode(err) != "forbidden" {
			t.Fatalf("a developer approves: %v", err)
		}
	}
	recs := ah.auditRecords(t)[before:]
	if len(recs) != refusalBurst {
		t.Errorf("%d refusals left %d records, want %d", refusalBurst+20, len(recs), refusalBurst)
	}
	rec := refusalRecord(hub.Caller{User: strings.Repeat("a", 63), Device: "0123456789abcdef"}, "approve", strings.Repeat("t", 60<<10), "é"+strings.Repeat("i", 60<<10),
		ErrNotApprover.With("%s", strings.Repeat("why ", 1<<10)), time.Now())
	if n := len(rec.Target) + len(rec.RequestID) + len(rec.Detail["reason"]); n > 2*maxRefusalField+maxRefusalReason+12 {
		t.Errorf("a refusal of large fields keeps %d bytes of them", n)
	}
}

func TestRefusalsCountWhatTheyDoNotRecord(t *testing.T) {
	var f refusals
	t0 := time.Now()
	for range refusalBurst {
		if ok, n := f.take("erin", t0); !ok || n != 0 {
			t.Fatalf("within the burst: %v %d", ok, n)
		}
	}
	for i := 1; i <= 5; i++ {
		if ok, n := f.take("erin", t0.Add(time.Second)); ok || n != i {
			t.Fatalf("past the burst: %v %d", ok, n)
		}
	}
	if ok, _ := f.take("alice", t0.Add(time.Second)); !ok {
		t.Error("one user's flood silenced another's refusals")
	}
	if ok, n := f.take("erin", t0.Add(refusalWindow)); !ok || n != 5 {
		t.Errorf("the next window's first record: %v, carries %d suppressed, want 5", ok, n)
	}
}
