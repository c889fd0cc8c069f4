package hub

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/internal/clock/clocktest"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

func TestEnroll(t *testing.T) {
	th := startHub(t, Options{Advertise: []netip.Prefix{mustPrefix("10.1.0.0/16")}, PublicURL: "https://hub.example:8443"})
	secret := th.invite(t, "alice", InviteOptions{})
	pub := newPublicKey(t)
	resp, err := th.client.enroll(t.Context(), secret, "laptop", pub)
	if err != nil {
		t.Fatal(err)
	}
	wantHub := hubapi.HubPeer{
		PublicKey:  th.wgKey.PublicKey().String(),
		Endpoint:   "hub.example:51820",
		Address:    "100.100.0.1/32",
		AllowedIPs: []string{"100.100.0.0/16", "10.1.0.0/16"},
	}
	got := resp
	got.DeviceID, got.Token = "", ""
	want := hubapi.EnrollResponse{Address: "100.100.0.2/32", Network: "100.100.0.0/16", User: "alice", Hub: wantHub}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("enroll response (-want +got):\n%s", diff)
	}
	p, ok := th.dev.peer(pub)
	if !ok {
		t.Fatal("the hub device has no peer for the new device")
	}
	if diff := cmp.Diff([]netip.Prefix{mustPrefix("100.100.0.2/32")}, p.AllowedIPs, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("peer allowed IPs (-want +got):\n%s", diff)
	}
	if th.dev.cfg.Address != mustPrefix("100.100.0.1/32") || th.dev.cfg.ListenPort != 51820 {
		t.Errorf("hub device config %+v", th.dev.cfg)
	}
	nm, err := th.client.netMap(t.Context(), resp.Token, 0)
	if err != nil {
		t.Fatal(err)
	}
	if nm.Version == 0 || nm.Self.ID != resp.DeviceID || nm.Self.Name != "laptop" || nm.Revoked || len(nm.Peers) != 0 {
		t.Errorf("netmap %+v", nm)
	}
}

func TestEnrollRefusals(t *testing.T) {
	clk := clocktest.New(time.Now())
	th := startHub(t, Options{Clock: clk})
	used := th.invite(t, "bob", InviteOptions{})
	th.enroll(t, used, "first")
	expired := th.invite(t, "bob", InviteOptions{TTL: time.Hour})
	clk.Advance(time.Hour + time.Nanosecond) // it works up to its expiry, included
	valid := th.invite(t, "bob", InviteOptions{})
	id, _, _ := strings.Cut(valid, ".")
	tests := []struct {
		name, secret, device, key, code string
	}{
		{name: "reused", secret: used, device: "second", code: "invite_used"},
		{name: "expired", secret: expired, device: "second", code: "invite_expired"},
		{name: "forged secret", secret: id + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", device: "second", code: "invite_unknown"},
		{name: "no such invite", secret: "0011223344556677.x", device: "second", code: "invite_unknown"},
		{name: "not an invite", secret: "hello", device: "second", code: "invite_unknown"},
		{name: "duplicate name", secret: valid, device: "first", code: "name_taken"},
		{name: "bad name", secret: valid, device: "-x y", code: "bad_request"},
		{name: "bad key", secret: valid, device: "second", key: "not-a-key", code: "bad_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := tt.key
			if key == "" {
				key = newPublicKey(t)
			}
			_, err := th.client.enroll(t.Context(), tt.secret, tt.device, key)
			if errCode(err) != tt.code {
				t.Fatalf("enroll: got %v (code %q), want code %q", err, errCode(err), tt.code)
			}
			if e := AsError(err); e.Message == "" || strings.Contains(e.Message, "\n") {
				t.Errorf("message %q: want one line", e.Message)
			}
		})
	}
	// A refused enrollment did not consume the single-use invite.
	if resp := th.enroll(t, valid, "second"); resp.Address != "100.100.0.3/32" {
		t.Errorf("address %s, want the next free one", resp.Address)
	}
}

func TestDuplicateKeyRefused(t *testing.T) {
	th := startHub(t, Options{})
	secret := th.invite(t, "carol", InviteOptions{Uses: 2})
	pub := newPublicKey(t)
	if _, err := th.client.enroll(t.Context(), secret, "a", pub); err != nil {
		t.Fatal(err)
	}
	if _, err := th.client.enroll(t.Context(), secret, "b", pub); errCode(err) != "key_taken" {
		t.Fatalf("got %v, want key_taken", err)
	}
}

// enrollMany enrolls n devices concurrently and returns their addresses.
func enrollMany(t *testing.T, th *testHub, secret, prefix string, n int) []string {
	t.Helper()
	addrs := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := th.client.enroll(t.Context(), secret, fmt.Sprintf("%s%d", prefix, i), newPublicKey(t))
			addrs[i], errs[i] = resp.Address, err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("enrollment %d: %v", i, err)
		}
	}
	return addrs
}

func TestConcurrentEnrollmentsFillTheNetwork(t *testing.T) {
	th := startHub(t, Options{Network: mustPrefix("10.9.8.0/24")})
	secret := th.invite(t, "dave", InviteOptions{Uses: 1000})
	addrs := enrollMany(t, th, secret, "burst", 100)
	addrs = append(addrs, enrollMany(t, th, secret, "rest", 153)...)
	var want []string
	for i := 2; i <= 254; i++ {
		want = append(want, fmt.Sprintf("10.9.8.%d/32", i))
	}
	slices.SortFunc(addrs, func(a, b string) int {
		return netip.MustParsePrefix(a).Addr().Compare(netip.MustParsePrefix(b).Addr())
	})
	if diff := cmp.Diff(want, addrs); diff != "" {
		t.Fatalf("addresses are not 10.9.8.2-254, each once (-want +got):\n%s", diff)
	}
	if th.dev.numPeers() != 253 {
		t.Errorf("hub device has %d peers, want 253", th.dev.numPeers())
	}
	_, err := th.client.enroll(t.Context(), secret, "one-too-many", newPublicKey(t))
	if errCode(err) != "address_space_full" {
		t.Fatalf("got %v, want address_space_full", err)
	}
}

func TestLeaveFreesTheAddress(t *testing.T) {
	th := startHub(t, Options{})
	secret := th.invite(t, "erin", InviteOptions{Uses: 10})
	a := th.enroll(t, secret, "a")
	b := th.enroll(t, secret, "b")
	th.enroll(t, secret, "c")
	if err := th.client.do(t.Context(), "POST", hubapi.PathLeave, b.Token, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := th.dev.peer(newPublicKey(t)); ok {
		t.Fatal("fake device is broken")
	}
	if _, err := th.client.netMap(t.Context(), b.Token, 0); errCode(err) != "unauthorized" {
		t.Errorf("netmap after leave: got %v, want unauthorized", err)
	}
	// The name is free again too, and the lowest free address is b's.
	if d := th.enroll(t, secret, "b"); d.Address != b.Address {
		t.Errorf("next enrollment got %s, want the freed %s", d.Address, b.Address)
	}
	nm, err := th.client.netMap(t.Context(), a.Token, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(nm.Peers) != 2 {
		t.Errorf("a sees %d peers, want 2", len(nm.Peers))
	}
}
