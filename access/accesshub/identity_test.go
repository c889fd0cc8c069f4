package accesshub

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// TestReaddedUserInheritsNothing: a user name removed and added again is
// another person; the new ann sees none of the old ann's requests and
// cannot touch them, and the answer is the one for a request that does not
// exist.
func TestReaddedUserInheritsNothing(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	ah.tokens["ann"] = ah.member(t, "ann", hubapi.RoleDeveloper)
	old := ah.mustRequest(t, "ann", "prod-db", time.Hour)
	granted := ah.mustRequest(t, "ann", "db-ro", time.Hour)
	if _, err := ah.approve(t, "carol", granted.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := ah.admin.RemoveUser(t.Context(), "ann"); err != nil {
		t.Fatal(err)
	}
	ah.tokens["ann"] = ah.member(t, "ann", hubapi.RoleDeveloper)
	mine := ah.mustRequest(t, "ann", "prod-db", time.Hour)

	if got := ah.list(t, "ann", ListMine); len(got) != 1 || got[0].ID != mine.ID {
		t.Errorf("the new ann lists %v, want only her own request %s", got, mine.ID)
	}
	for _, id := range []string{old.ID, granted.ID} {
		_, revokeErr := ah.decide(t, "ann", hubapi.PathRevokeGrant, hubapi.RevokeGrantRequest{ID: id})
		_, grantErr := ah.grant(t, "ann", id, false)
		for what, err := range map[string]error{"revokes": revokeErr, "fetches the grant of": grantErr} {
			if errCode(err) != "request_unknown" {
				t.Errorf("the new ann %s the old ann's %s: %v, want request_unknown", what, id, err)
			}
		}
	}
	if _, err := ah.grant(t, "ann", mine.ID, false); errCode(err) != "pending" {
		t.Errorf("the new ann's own request: %v, want pending", err)
	}
}

// TestOthersRequestsAnswerAsUnknown: a developer asking about another's
// request hears what they would for one that does not exist, word for
// word: nothing names its owner or confirms it.
func TestOthersRequestsAnswerAsUnknown(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	theirs := ah.mustRequest(t, "alice", "prod-db", time.Hour)
	const none = "0123456789abcdef"
	calls := map[string]func(id string) error{
		"grant": func(id string) error { _, err := ah.grant(t, "erin", id, true); return err },
		"revoke": func(id string) error {
			_, err := ah.decide(t, "erin", hubapi.PathRevokeGrant, hubapi.RevokeGrantRequest{ID: id})
			return err
		},
		"approve": func(id string) error { _, err := ah.approve(t, "erin", id, 0); return err },
		"deny": func(id string) error {
			_, err := ah.decide(t, "erin", hubapi.PathDeny, hubapi.DenyRequest{ID: id, Reason: "no"})
			return err
		},
	}
	for name, call := range calls {
		other, missing := call(theirs.ID), call(none)
		if other == nil || missing == nil {
			t.Fatalf("%s: %v, %v; want refusals", name, other, missing)
		}
		a, b := strings.ReplaceAll(other.Error(), theirs.ID, "ID"), strings.ReplaceAll(missing.Error(), none, "ID")
		if a != b || errCode(other) != errCode(missing) || strings.Contains(a, "alice") {
			t.Errorf("%s another's request: %q (%s); one that does not exist: %q (%s)", name, a, errCode(other), b, errCode(missing))
		}
	}
	// Approvers may see every request: theirs names the requester.
	if _, err := ah.grant(t, "bob", theirs.ID, false); errCode(err) != "forbidden" {
		t.Errorf("an approver fetching another's grant: %v, want forbidden", err)
	}
	if err := ah.client.do(t.Context(), http.MethodGet, hubapi.PathGrant+"?id="+theirs.ID, ah.tokens["alice"], nil, nil); errCode(err) != "pending" {
		t.Errorf("the requester: %v", err)
	}
}
