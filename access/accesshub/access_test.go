package accesshub

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/internal/clock/clocktest"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

func TestAccessRequestApproveGrant(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	r := ah.mustRequest(t, "alice", "prod-db", 30*time.Minute)
	if r.State != hubapi.StatePending || r.Requester != "alice" {
		t.Fatalf("new request %+v", r)
	}
	if got := ah.list(t, "bob", "pending"); len(got) != 1 || got[0].ID != r.ID {
		t.Errorf("bob's pending list %+v, want the request", got)
	}
	if got := ah.list(t, "carol", "pending"); len(got) != 0 {
		t.Errorf("carol, no approver of prod-db, sees %+v", got)
	}
	if got := ah.list(t, "alice", "mine"); len(got) != 1 {
		t.Errorf("alice's own list %+v", got)
	}
	if _, err := ah.grant(t, "alice", r.ID, false); errCode(err) != "pending" {
		t.Errorf("grant before approval: %v, want pending", err)
	}
	waited := make(chan error, 1)
	go func() { _, err := ah.grant(t, "alice", r.ID, true); waited <- err }()
	poll := ah.pollGateway(t)
	approved, err := ah.approve(t, "bob", r.ID, 15*time.Minute)
	decided := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	if approved.State != hubapi.StateApproved || approved.Approver != "bob" || approved.For != 15*time.Minute ||
		approved.NotAfter.Sub(approved.Decided) != 15*time.Minute {
		t.Errorf("approved request %+v", approved)
	}
	gw := receiveGrants(t, poll, time.Second)
	if d := gw.at.Sub(decided); d > time.Second {
		t.Errorf("gateway heard of the grant %v after the approval", d)
	}
	if err := <-waited; err != nil {
		t.Errorf("alice waiting for the grant: %v", err)
	}
	g, err := ah.grant(t, "alice", r.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	want := hubapi.Grant{RequestID: r.ID, Requester: "alice", Target: "prod-db", Protocol: hubapi.ProtocolHTTP,
		PublicKey: g.PublicKey, ClientAddress: "100.101.0.2/32", NotAfter: approved.NotAfter,
		Gateway: hubapi.Gateway{Name: "gw1", PublicKey: ah.gwKey, Endpoint: "gw.example:51821",
			Address: "100.101.0.1/32", TargetAddress: "100.101.0.1:10000"}}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("grant (-want +got):\n%s", diff)
	}
	if len(gw.Grants) != 1 || !cmp.Equal(gw.Grants[0], g) {
		t.Errorf("gateway stream %+v, want the grant", gw.Grants)
	}
	if _, err := ah.grant(t, "bob", r.ID, false); errCode(err) != "forbidden" {
		t.Errorf("bob fetching alice's grant: %v, want forbidden", err)
	}
	if _, err := ah.approve(t, "dave", r.ID, 0); errCode(err) != "not_pending" {
		t.Errorf("approving twice: %v, want not_pending", err)
	}
	recs := ah.auditRecords(t)
	// bob's look at alice's grant was refused, and the trail says so.
	if got := actions(recs, r.ID); !slices.Equal(got, []string{"request", "approve", "grant", "read_grant"}) {
		t.Errorf("audit of the request: %v", got)
	}
}

func TestAccessApprovalRules(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	tests := []struct {
		name, requester, approver, target, code string
	}{
		{"self", "bob", "bob", "prod-db", "self_approval"},
		{"self admin", "dave", "dave", "prod-db", "self_approval"},
		{"developer", "alice", "erin", "prod-db", "forbidden"},
		{"approver not of the target", "alice", "carol", "prod-db", "not_approver"},
		{"approver of the target", "alice", "bob", "prod-db", ""},
		{"admin", "alice", "dave", "prod-db", ""},
		{"approver by role", "alice", "carol", "db-ro", ""},
		{"approver approves an approver", "bob", "carol", "db-ro", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ah.mustRequest(t, tt.requester, tt.target, time.Hour)
			got, err := ah.approve(t, tt.approver, r.ID, 0)
			if tt.code != "" {
				wantCode(t, err, tt.code)
				return
			}
			if err != nil || got.State != hubapi.StateApproved || got.Approver != tt.approver {
				t.Fatalf("approve: %+v, %v", got, err)
			}
		})
	}
	r := ah.mustRequest(t, "alice", "prod-db", 10*time.Minute)
	if _, err := ah.approve(t, "bob", r.ID, 20*time.Minute); errCode(err) != "bad_request" {
		t.Errorf("approving for longer than asked: %v", err)
	}
	if _, err := ah.approve(t, "bob", "nope", 0); errCode(err) != "request_unknown" {
		t.Errorf("approving an unknown request: %v", err)
	}
}

func TestAccessDeny(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	r := ah.mustRequest(t, "alice", "prod-db", time.Hour)
	if _, err := ah.decide(t, "bob", hubapi.PathDeny, hubapi.DenyRequest{ID: r.ID}); errCode(err) != "bad_request" {
		t.Errorf("deny without a reason: %v", err)
	}
	if _, err := ah.decide(t, "erin", hubapi.PathDeny, hubapi.DenyRequest{ID: r.ID, Reason: "no"}); errCode(err) != "forbidden" {
		t.Errorf("a developer denies: %v", err)
	}
	d, err := ah.decide(t, "bob", hubapi.PathDeny, hubapi.DenyRequest{ID: r.ID, Reason: "use the staging copy"})
	if err != nil || d.State != hubapi.StateDenied || d.Approver != "bob" || d.DenyReason != "use the staging copy" {
		t.Fatalf("deny: %+v, %v", d, err)
	}
	_, err = ah.grant(t, "alice", r.ID, true)
	if errCode(err) != "grant_ended" || !strings.Contains(err.Error(), "use the staging copy") {
		t.Errorf("grant of a denied request: %v", err)
	}
	if _, err := ah.approve(t, "dave", r.ID, 0); errCode(err) != "not_pending" {
		t.Errorf("approve after deny: %v", err)
	}
	// erin's refused deny comes first, then bob's.
	if got := actions(ah.auditRecords(t), r.ID); !slices.Equal(got, []string{"request", "deny", "deny"}) {
		t.Errorf("audit: %v", got)
	}
}

func TestAccessRequestRefusals(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	used := ah.mustRequest(t, "alice", "prod-db", time.Minute)
	var usedKey string
	for _, rec := range ah.auditRecords(t) {
		if rec.RequestID == used.ID {
			usedKey = rec.Detail["public_key"]
		}
	}
	tests := []struct {
		name string
		req  hubapi.AccessRequest
		code string
		msg  string
	}{
		{"unknown target", hubapi.AccessRequest{Target: "nope", For: time.Minute}, "target_unknown", "devenv access targets"},
		{"too long", hubapi.AccessRequest{Target: "prod-db", For: 2 * time.Hour}, "too_long", "at most 1h0m0s"},
		{"no time", hubapi.AccessRequest{Target: "prod-db"}, "bad_request", "--for"},
		{"no reason", hubapi.AccessRequest{Target: "prod-db", For: time.Minute, Reason: "  "}, "bad_request", "--reason"},
		{"bad key", hubapi.AccessRequest{Target: "prod-db", For: time.Minute, PublicKey: "xyz"}, "bad_request", "public key"},
		{"reused key", hubapi.AccessRequest{Target: "prod-db", For: time.Minute, PublicKey: usedKey}, "key_taken", "fresh key"},
		{"no break-glass", hubapi.AccessRequest{Target: "prod-db", For: time.Minute, Emergency: true}, "no_break_glass", "prod-db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ah.request(t, "alice", tt.req)
			wantCode(t, err, tt.code)
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message %q does not say %q", err, tt.msg)
			}
		})
	}
	if _, err := ah.request(t, "nobody", hubapi.AccessRequest{Target: "prod-db", For: time.Minute}); errCode(err) != "unauthorized" {
		t.Errorf("without a token: %v", err)
	}
	if got := ah.list(t, "erin", "mine"); len(got) != 0 {
		t.Errorf("erin's list %+v", got)
	}
	for _, state := range []string{"pending", "all"} {
		var rs []hubapi.Request
		err := ah.client.do(t.Context(), "GET", hubapi.PathRequests+"?state="+state, ah.tokens["erin"], nil, &rs)
		if errCode(err) != "forbidden" {
			t.Errorf("a developer lists %s: %v", state, err)
		}
	}
}

func TestAccessAutoApproval(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	r := ah.mustRequest(t, "alice", "logs", 20*time.Minute)
	if r.State != hubapi.StateApproved || r.Approver != "auto" || r.For != 5*time.Minute || r.NotAfter.Sub(r.Decided) != 5*time.Minute {
		t.Fatalf("auto-approved request %+v", r)
	}
	if _, err := ah.grant(t, "alice", r.ID, false); err != nil {
		t.Errorf("grant: %v", err)
	}
	// bob's role is not the target's AutoApproveRole: his request waits.
	if b := ah.mustRequest(t, "bob", "logs", time.Minute); b.State != hubapi.StatePending {
		t.Errorf("bob's request %+v, want pending", b)
	}
	if got := actions(ah.auditRecords(t), r.ID); !slices.Equal(got, []string{"request", "approve", "grant"}) {
		t.Errorf("audit: %v", got)
	}
}

func TestAccessLapse(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(time.Now())
	ah := startAccessHub(t, testOptions{RequestWindow: 15 * time.Minute, Clock: clk})
	r := ah.mustRequest(t, "alice", "prod-db", time.Hour)
	clk.Set(r.Created.Add(15*time.Minute - time.Millisecond))
	if got := ah.list(t, "alice", "mine"); got[0].State != hubapi.StatePending {
		t.Fatalf("a millisecond before the window ends: %+v", got[0])
	}
	clk.Set(r.Created.Add(15 * time.Minute))
	_, err := ah.grant(t, "alice", r.ID, true)
	if errCode(err) != "grant_ended" || !strings.Contains(err.Error(), "lapsed") {
		t.Fatalf("waiting for the grant: %v, want lapsed", err)
	}
	if got := ah.list(t, "alice", "mine"); len(got) != 1 || got[0].State != hubapi.StateLapsed {
		t.Errorf("after the window: %+v", got)
	}
	if _, err := ah.approve(t, "bob", r.ID, 0); errCode(err) != "not_pending" {
		t.Errorf("approving a lapsed request: %v", err)
	}
	recs := ah.auditRecords(t)
	if got := actions(recs, r.ID); !slices.Equal(got, []string{"request", "lapse"}) {
		t.Errorf("audit: %v", got)
	}
	if last := recs[len(recs)-1]; last.Actor != "hub" || !last.Time.Equal(r.Created.Add(15*time.Minute)) {
		t.Errorf("lapse record %+v", last)
	}
}

func TestAccessRevoke(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	tests := []struct{ name, by, code string }{
		{"requester", "alice", ""},
		{"approver of the target", "bob", ""},
		{"admin", "dave", ""},
		{"approver not of the target", "carol", "forbidden"},
		{"another developer", "erin", "request_unknown"}, // may not see it: as if there were none
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ah.granted(t, "prod-db", time.Hour)
			poll := ah.pollGateway(t)
			got, err := ah.decide(t, tt.by, hubapi.PathRevokeGrant, hubapi.RevokeGrantRequest{ID: r.ID})
			revoked := time.Now()
			if tt.code != "" {
				wantCode(t, err, tt.code)
				ah.decide(t, "alice", hubapi.PathRevokeGrant, hubapi.RevokeGrantRequest{ID: r.ID})
				<-poll
				return
			}
			if err != nil || got.State != hubapi.StateRevoked || got.Approver != tt.by {
				t.Fatalf("revoke: %+v, %v", got, err)
			}
			gw := receiveGrants(t, poll, time.Second)
			if d := gw.at.Sub(revoked); d > time.Second || len(gw.Grants) != 0 {
				t.Errorf("gateway: %d grants, %v after the revocation", len(gw.Grants), d)
			}
			if _, err := ah.grant(t, "alice", r.ID, false); errCode(err) != "grant_ended" {
				t.Errorf("grant after revoke: %v", err)
			}
			again, err := ah.decide(t, tt.by, hubapi.PathRevokeGrant, hubapi.RevokeGrantRequest{ID: r.ID})
			if err != nil || again.State != hubapi.StateRevoked {
				t.Errorf("revoking again: %+v, %v", again, err)
			}
		})
	}
	pending := ah.mustRequest(t, "alice", "prod-db", time.Hour)
	w, err := ah.decide(t, "alice", hubapi.PathRevokeGrant, hubapi.RevokeGrantRequest{ID: pending.ID})
	if err != nil || w.State != hubapi.StateRevoked {
		t.Errorf("withdrawing a pending request: %+v, %v", w, err)
	}
	if got := actions(ah.auditRecords(t), pending.ID); !slices.Equal(got, []string{"request", "revoke"}) {
		t.Errorf("audit: %v", got)
	}
}

func TestAccessGrantAddresses(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	addr := func(r hubapi.Request) string {
		g, err := ah.grant(t, "alice", r.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		return g.ClientAddress
	}
	a, b := ah.granted(t, "prod-db", time.Hour), ah.granted(t, "db-ro", time.Hour)
	if addr(a) != "100.101.0.2/32" || addr(b) != "100.101.0.3/32" {
		t.Errorf("addresses %s, %s", addr(a), addr(b))
	}
	if g, _ := ah.grant(t, "alice", b.ID, false); g.Gateway.TargetAddress != "100.101.0.1:5432" || g.Protocol != hubapi.ProtocolTCP {
		t.Errorf("db-ro grant %+v: want the port the gateway chose", g)
	}
	ah.decide(t, "alice", hubapi.PathRevokeGrant, hubapi.RevokeGrantRequest{ID: a.ID})
	if c := ah.granted(t, "prod-db", time.Hour); addr(c) != "100.101.0.2/32" {
		t.Errorf("after a revocation the next grant got %s, want the freed 100.101.0.2/32", addr(c))
	}
}

func TestAccessEmergencyAndWebhook(t *testing.T) {
	hook := startWebhookReceiver(t)
	ah := startAccessHub(t, testOptions{Webhook: hook.url})
	r, err := ah.request(t, "alice", hubapi.AccessRequest{Target: "db-ro", For: time.Hour, Emergency: true, Reason: "orders are lost"})
	if err != nil {
		t.Fatal(err)
	}
	if r.State != hubapi.StateApproved || !r.Emergency || r.For != 10*time.Minute || r.Approver != "emergency" {
		t.Fatalf("emergency request %+v: want granted at once for the 10m cap", r)
	}
	g, err := ah.grant(t, "alice", r.ID, false)
	if err != nil || !g.Emergency {
		t.Fatalf("emergency grant %+v, %v", g, err)
	}
	msg := hook.next(t)
	if !strings.Contains(msg, "EMERGENCY") || !strings.Contains(msg, "alice") || !strings.Contains(msg, "orders are lost") {
		t.Errorf("webhook message %q", msg)
	}
	recs := ah.auditRecords(t)
	if got := actions(recs, r.ID); !slices.Equal(got, []string{"request", "emergency", "grant"}) {
		t.Errorf("audit: %v", got)
	}
	p := ah.mustRequest(t, "alice", "prod-db", time.Hour)
	if msg := hook.next(t); !strings.Contains(msg, "devenv access approve "+p.ID) || !strings.Contains(msg, "bob") {
		t.Errorf("pending request announced as %q", msg)
	}
}

func TestAccessUnknownGatewayToken(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	ah.gwToken = "forged"
	if _, err := ah.gatewayGrants(t, 0); errCode(err) != "unauthorized" {
		t.Errorf("grants with a forged token: %v", err)
	}
	err := ah.client.do(t.Context(), "PUT", hubapi.PathGatewayTargets, ah.tokens["dave"], hubapi.RegisterTargets{}, nil)
	if errCode(err) != "unauthorized" {
		t.Errorf("a device token registering targets: %v", err)
	}
}
