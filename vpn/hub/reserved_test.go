package hub

import (
	"strings"
	"testing"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// TestReservedNamesAndKeys: names the audit trail uses for the hub itself
// are not users', and no device enrolls with the all-zero key or the hub's
// own key — over the real admin socket and HTTPS API.
func TestReservedNamesAndKeys(t *testing.T) {
	th := startHub(t, Options{})
	for _, name := range []string{"hub", "auto", "emergency", "gateway", "gateway-prod", "gateway.eu"} {
		if _, err := th.admin.AddUser(t.Context(), name, hubapi.RoleApprover); err == nil || !strings.Contains(err.Error(), "reserved") {
			t.Errorf("adding user %q: %v, want it refused as reserved", name, err)
		}
	}
	if _, err := th.admin.AddUser(t.Context(), "hubert", hubapi.RoleDeveloper); err != nil {
		t.Errorf("a name that merely starts like a reserved one: %v", err)
	}
	created, err := th.admin.CreateInvite(t.Context(), InviteOptions{User: "hubert", Uses: 3})
	if err != nil {
		t.Fatal(err)
	}
	inv, _ := hubapi.ParseInvite(created.Invite)
	for what, key := range map[string]string{
		"the all-zero key": wgtypes.Key{}.String(),
		"the hub's key":    th.wgKey.PublicKey().String(),
	} {
		if _, err := th.client.enroll(t.Context(), inv.Secret, "laptop", key); err == nil {
			t.Errorf("enrolling with %s succeeded", what)
		}
	}
	if _, err := th.client.enroll(t.Context(), inv.Secret, "laptop", newPublicKey(t)); err != nil {
		t.Errorf("the invite's uses were spent by the refused enrollments: %v", err)
	}
}
