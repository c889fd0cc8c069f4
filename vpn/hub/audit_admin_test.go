package hub

import (
	"net/http"
	"slices"
	"testing"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// TestAdminActionsAudited: who may act, and with which keys, is in the
// chain: each change appends its record in its own transaction, and a
// refused change leaves none.
func TestAdminActionsAudited(t *testing.T) {
	th := startHub(t, Options{})
	ctx := t.Context()
	if _, err := th.admin.AddUser(ctx, "ann", hubapi.RoleApprover); err != nil {
		t.Fatal(err)
	}
	if _, err := th.admin.AddUser(ctx, "ann", hubapi.RoleAdmin); errCode(err) != "user_exists" {
		t.Fatalf("adding ann twice: %v", err)
	}
	secret := th.invite(t, "ann", InviteOptions{Uses: 2})
	laptop := th.enroll(t, secret, "laptop")
	phone := th.enroll(t, secret, "phone")
	newKey := newPublicKey(t)
	if err := th.client.do(ctx, http.MethodPost, PathRotate, laptop.Token, RotateRequest{PublicKey: newKey}, nil); err != nil {
		t.Fatal(err)
	}
	if err := th.client.do(ctx, http.MethodPost, hubapi.PathLeave, phone.Token, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := th.admin.Revoke(ctx, laptop.DeviceID); err != nil {
		t.Fatal(err)
	}
	if err := th.admin.RemoveUser(ctx, "ann"); err != nil {
		t.Fatal(err)
	}
	recs, err := th.admin.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.Actor+" "+r.Action)
	}
	want := []string{"hub user_add", "hub invite_create", "ann device_enroll", "ann device_enroll", "ann device_rotate",
		"ann device_leave", "hub device_revoke", "hub user_remove"}
	if !slices.Equal(got, want) {
		t.Fatalf("the trail holds\n%q\nwant\n%q", got, want)
	}
	if _, err := verifyWhole(recs); err != nil {
		t.Error(err)
	}
	byAction := map[string]map[string]string{}
	for _, r := range recs {
		byAction[r.Action] = r.Detail
	}
	checks := []struct{ action, key, want string }{
		{"user_add", "role", "approver"},
		{"user_add", "via", viaAdminSocket},
		{"device_rotate", "public_key", newKey},
		{"device_revoke", "device", laptop.DeviceID},
		{"device_leave", "device", phone.DeviceID},
		{"user_remove", "user", "ann"},
	}
	for _, c := range checks {
		if byAction[c.action][c.key] != c.want {
			t.Errorf("%s record: %s = %q, want %q", c.action, c.key, byAction[c.action][c.key], c.want)
		}
	}
	if byAction["device_rotate"]["old_public_key"] == "" || byAction["invite_create"]["user"] != "ann" {
		t.Errorf("rotation or invite records lack what they changed: %v %v", byAction["device_rotate"], byAction["invite_create"])
	}
}

// verifyWhole verifies a whole trail held in memory: from record 1.
func verifyWhole(recs []hubapi.AuditRecord) (int, error) {
	v := hubapi.NewChainVerifier(1, 0, nil)
	for _, r := range recs {
		if err := v.Add(r); err != nil {
			return 0, err
		}
	}
	return v.End()
}
