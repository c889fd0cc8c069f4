package accesshub

import (
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// TestRevokingADeviceEndsItsAccess: an admin revokes alice's device. Her
// active grant leaves the gateway's grant stream at once, her pending
// request can no longer be approved, the audit says why; erin's request
// is untouched.
func TestRevokingADeviceEndsItsAccess(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	granted := ah.granted(t, "prod-db", 30*time.Minute)
	pending := ah.mustRequest(t, "alice", "prod-db", 30*time.Minute)
	erins := ah.mustRequest(t, "erin", "prod-db", 30*time.Minute)
	if gg, err := ah.gatewayGrants(t, 0); err != nil || !hasGrant(gg, granted.ID) {
		t.Fatalf("before: the gateway's grants %+v (%v) lack %s", gg, err, granted.ID)
	}
	answer := ah.pollGateway(t)
	if err := ah.admin.Revoke(t.Context(), deviceOf(t, ah, "alice").ID); err != nil {
		t.Fatal(err)
	}
	if a := receiveGrants(t, answer, 5*time.Second); hasGrant(a.GatewayGrants, granted.ID) {
		t.Errorf("the gateway's grants still hold %s after its device was revoked", granted.ID)
	}
	wantEnded(t, ah, "device laptop (", "of alice revoked", granted.ID, pending.ID)
	if _, err := ah.approve(t, "bob", pending.ID, 0); err == nil {
		t.Errorf("bob approved %s after its device was revoked", pending.ID)
	}
	if _, err := ah.approve(t, "bob", erins.ID, 0); err != nil {
		t.Errorf("erin's request, of another device, was touched: %v", err)
	}
}

// TestRemovingAUserEndsTheirAccess: removing alice ends her grant and her
// pending request, with the audit saying so.
func TestRemovingAUserEndsTheirAccess(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	granted := ah.granted(t, "prod-db", 30*time.Minute)
	pending := ah.mustRequest(t, "alice", "prod-db", 30*time.Minute)
	answer := ah.pollGateway(t)
	if err := ah.admin.RemoveUser(t.Context(), "alice"); err != nil {
		t.Fatal(err)
	}
	if a := receiveGrants(t, answer, 5*time.Second); hasGrant(a.GatewayGrants, granted.ID) {
		t.Errorf("the gateway's grants still hold %s after its user was removed", granted.ID)
	}
	wantEnded(t, ah, "user alice removed", "", granted.ID, pending.ID)
	if _, err := ah.approve(t, "bob", pending.ID, 0); err == nil {
		t.Errorf("bob approved %s of a removed user", pending.ID)
	}
}

// wantEnded checks that each request's last audit record is a revoke by
// the hub whose reason holds both parts.
func wantEnded(t *testing.T, ah *accessHub, part1, part2 string, ids ...string) {
	t.Helper()
	recs := ah.auditRecords(t)
	for _, id := range ids {
		var last hubapi.AuditRecord
		for _, r := range recs {
			if r.RequestID == id {
				last = r
			}
		}
		why := last.Detail["reason"]
		if last.Action != "revoke" || last.Actor != hub.ActorHub || !strings.Contains(why, part1) || !strings.Contains(why, part2) {
			t.Errorf("request %s: last audit record %s by %s (%q), want a revoke by the hub saying %q…%q", id, last.Action, last.Actor, why, part1, part2)
		}
	}
}

func hasGrant(gg hubapi.GatewayGrants, id string) bool {
	for _, g := range gg.Grants {
		if g.RequestID == id {
			return true
		}
	}
	return false
}

func deviceOf(t *testing.T, ah *accessHub, user string) hubapi.Device {
	t.Helper()
	ds, err := ah.admin.Devices(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.User == user && !d.Revoked {
			return d
		}
	}
	t.Fatalf("%s has no device", user)
	return hubapi.Device{}
}

// TestAdminSocketRevokesGrants: the admin socket lists open access and ends
// a grant without any enrolled device; the gateway's stream drops it and
// the audit says where it was revoked.
func TestAdminSocketRevokesGrants(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	granted := ah.granted(t, "prod-db", 30*time.Minute)
	pending := ah.mustRequest(t, "erin", "prod-db", 30*time.Minute)
	open, err := ah.admin.OpenAccess(t.Context())
	if err != nil || len(open) != 2 || open[0].ID != granted.ID || open[1].ID != pending.ID {
		t.Fatalf("open access %+v (%v), want the grant then the pending request", open, err)
	}
	answer := ah.pollGateway(t)
	r, err := ah.admin.RevokeGrant(t.Context(), granted.ID)
	if err != nil || r.State != hubapi.StateRevoked || r.Approver != hub.ActorHub {
		t.Fatalf("revoke on the admin socket: %+v %v", r, err)
	}
	if a := receiveGrants(t, answer, 5*time.Second); hasGrant(a.GatewayGrants, granted.ID) {
		t.Errorf("the gateway's grants still hold %s", granted.ID)
	}
	wantEnded(t, ah, "revoked on the hub's admin socket", "", granted.ID)
	if r, err := ah.admin.RevokeGrant(t.Context(), granted.ID); err != nil || r.State != hubapi.StateRevoked {
		t.Errorf("revoking it again: %+v %v, want it as it is", r, err)
	}
	if _, err := ah.admin.RevokeGrant(t.Context(), "no-such-request"); err == nil {
		t.Error("revoking an unknown request succeeded")
	}
	if open, _ := ah.admin.OpenAccess(t.Context()); len(open) != 1 || open[0].ID != pending.ID {
		t.Errorf("open access after the revoke: %+v", open)
	}
}

// TestApprovalHoldsToTheCurrentMaxTTL: a request for 1h is pending when
// the gateway lowers prod-db's max_ttl to 10m; bob's approval grants 10m.
func TestApprovalHoldsToTheCurrentMaxTTL(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	r := ah.mustRequest(t, "alice", "prod-db", time.Hour)
	targets := testTargets()
	targets[0].MaxTTL = 10 * time.Minute
	ah.register(t, ah.gwToken, targets)
	got, err := ah.approve(t, "bob", r.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got.For != 10*time.Minute || got.NotAfter.After(time.Now().Add(10*time.Minute)) {
		t.Errorf("approved for %v until %v after max_ttl became 10m", got.For, got.NotAfter)
	}
}

// TestGatewayLongPollNowIsFresh: a long-poll that times out answers with
// the hub's clock at the answer, not at the start of the wait.
func TestGatewayLongPollNowIsFresh(t *testing.T) {
	ah := startAccessHub(t, testOptions{pollTimeout: 2 * time.Second})
	cur, err := ah.gatewayGrants(t, 0)
	if err != nil {
		t.Fatal(err)
	}
	gg, err := ah.gatewayGrants(t, cur.Version) // nothing changes: it waits the timeout out
	answered := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	if skew := answered.Sub(gg.Now); skew > 1500*time.Millisecond { // a stale one is the whole 2 s
		t.Errorf("the answer's Now is %v older than the answer", skew)
	}
}

// TestOneUserCannotFillTheHub: a reason over 1 KiB, a sixth pending
// request and a second active emergency grant are refused; withdrawing a
// request or ending the grant makes room again.
func TestOneUserCannotFillTheHub(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	_, err := ah.request(t, "alice", hubapi.AccessRequest{Target: "prod-db", For: time.Hour, Reason: strings.Repeat("x", 1025)})
	wantCode(t, err, "bad_request")
	var first hubapi.Request
	for i := range 5 {
		r := ah.mustRequest(t, "alice", "prod-db", time.Hour)
		if i == 0 {
			first = r
		}
	}
	_, err = ah.request(t, "alice", hubapi.AccessRequest{Target: "prod-db", For: time.Hour})
	wantCode(t, err, "forbidden")
	ah.mustRequest(t, "erin", "prod-db", time.Hour) // another user is not counted against alice
	if _, err := ah.decide(t, "alice", hubapi.PathRevokeGrant, hubapi.RevokeGrantRequest{ID: first.ID}); err != nil {
		t.Fatal(err)
	}
	ah.mustRequest(t, "alice", "prod-db", time.Hour)

	em, err := ah.request(t, "erin", hubapi.AccessRequest{Target: "db-ro", For: 5 * time.Minute, Emergency: true})
	if err != nil || em.State != hubapi.StateApproved {
		t.Fatalf("the first emergency grant: %+v %v", em, err)
	}
	_, err = ah.request(t, "erin", hubapi.AccessRequest{Target: "db-ro", For: 5 * time.Minute, Emergency: true})
	wantCode(t, err, "forbidden")
	if _, err := ah.decide(t, "erin", hubapi.PathRevokeGrant, hubapi.RevokeGrantRequest{ID: em.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := ah.request(t, "erin", hubapi.AccessRequest{Target: "db-ro", For: 5 * time.Minute, Emergency: true}); err != nil {
		t.Errorf("an emergency grant after ending the first: %v", err)
	}
}

// TestDeviceBodiesAreSmall: a device's request body over 64 KiB is
// refused (a reason is at most a KiB); only gateways send large bodies.
func TestDeviceBodiesAreSmall(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	_, err := ah.request(t, "alice", hubapi.AccessRequest{Target: "prod-db", For: time.Hour, Reason: strings.Repeat("x", 100<<10)})
	wantCode(t, err, "bad_request")
}
