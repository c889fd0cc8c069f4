package hub

import (
	"testing"
)

// TestEnrollmentRetryGetsTheSameDevice: the answer to an enrollment is
// lost (here the hub stops right after its commit); the client's retry,
// with the same invite, name and key, gets the same device and address
// and a token that works. Another key with the spent invite is refused,
// and so is any retry once the device has used its token.
func TestEnrollmentRetryGetsTheSameDevice(t *testing.T) {
	th := startHub(t, Options{})
	secret := th.invite(t, "ann", InviteOptions{})
	pub := newPublicKey(t)
	lost, err := th.client.enroll(t.Context(), secret, "laptop", pub)
	if err != nil {
		t.Fatal(err)
	}
	th.client.http.CloseIdleConnections()
	if err := th.Close(); err != nil {
		t.Fatal(err)
	}
	th = startHub(t, Options{DataDir: th.opts.DataDir})

	again, err := th.client.enroll(t.Context(), secret, "laptop", pub)
	if err != nil {
		t.Fatalf("the retry: %v", err)
	}
	if again.DeviceID != lost.DeviceID || again.Address != lost.Address || again.Token == lost.Token {
		t.Errorf("the retry got device %s at %s, want %s at %s with a fresh token", again.DeviceID, again.Address, lost.DeviceID, lost.Address)
	}
	if _, err := th.client.enroll(t.Context(), secret, "laptop", newPublicKey(t)); errCode(err) != "invite_used" {
		t.Errorf("another key with the spent invite: %v, want invite_used", err)
	}
	if _, err := th.client.enroll(t.Context(), secret, "desktop", pub); errCode(err) != "invite_used" {
		t.Errorf("the key under another name: %v, want invite_used", err)
	}
	if _, err := th.client.netMap(t.Context(), lost.Token, 0); errCode(err) != "unauthorized" {
		t.Errorf("the token that never arrived: %v, want unauthorized", err)
	}
	if nm, err := th.client.netMap(t.Context(), again.Token, 0); err != nil || nm.Self.ID != lost.DeviceID {
		t.Fatalf("the reissued token: %+v, %v", nm.Self, err)
	}
	if _, err := th.client.enroll(t.Context(), secret, "laptop", pub); errCode(err) != "invite_used" {
		t.Errorf("a retry after the device used its token: %v, want invite_used", err)
	}
	if live := checkStore(t, th.db); len(live) != 1 {
		t.Errorf("%d devices, want 1", len(live))
	}
}
