package hub

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// poll starts a long-poll and returns a channel with its answer.
func (th *testHub) poll(t *testing.T, token string, since uint64) <-chan hubapi.NetMap {
	t.Helper()
	out := make(chan hubapi.NetMap, 1)
	go func() {
		nm, err := th.client.netMap(t.Context(), token, since)
		if err != nil {
			t.Errorf("netmap: %v", err)
		}
		out <- nm
	}()
	// Wait until the hub counts the waiter, so the change comes after it.
	testutil.Eventually(t, "the long-poll to start", func() bool { return th.metrics.waiters.Load() > 0 })
	return out
}

func TestNetMapWakesOnJoin(t *testing.T) {
	th := startHub(t, Options{})
	secret := th.invite(t, "frank", InviteOptions{Uses: 2})
	a := th.enroll(t, secret, "a")
	nm, err := th.client.netMap(t.Context(), a.Token, 0)
	if err != nil {
		t.Fatal(err)
	}
	c := th.poll(t, a.Token, nm.Version)
	b := th.enroll(t, secret, "b")
	got := testutil.Receive(t, "a netmap", c)
	if got.Version <= nm.Version || len(got.Peers) != 1 || got.Peers[0].ID != b.DeviceID || got.Peers[0].Address != b.Address {
		t.Errorf("netmap after join: %+v", got)
	}
}

func TestNetMapLongPollTimesOut(t *testing.T) {
	th := startHub(t, Options{pollTimeout: 200 * time.Millisecond})
	a := th.enroll(t, th.invite(t, "gina", InviteOptions{}), "a")
	nm, err := th.client.netMap(t.Context(), a.Token, 0)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	again, err := th.client.netMap(t.Context(), a.Token, nm.Version)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 150*time.Millisecond || again.Version != nm.Version {
		t.Errorf("answered after %v with version %d, want the same version %d after the timeout", d, again.Version, nm.Version)
	}
}

func TestRevoke(t *testing.T) {
	th := startHub(t, Options{})
	secret := th.invite(t, "hank", InviteOptions{Uses: 3})
	pubA := newPublicKey(t)
	a, err := th.client.enroll(t.Context(), secret, "a", pubA)
	if err != nil {
		t.Fatal(err)
	}
	b := th.enroll(t, secret, "b")
	nm, _ := th.client.netMap(t.Context(), a.Token, 0)
	ca := th.poll(t, a.Token, nm.Version)
	cb := th.poll(t, b.Token, nm.Version)

	start := time.Now()
	if err := th.admin.Revoke(t.Context(), a.DeviceID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "the revoked device to leave the hub device's peers", func() bool {
		_, ok := th.dev.peer(pubA)
		return !ok
	})
	gotA := testutil.Receive(t, "the revoked device's netmap within a second of the revoke", ca, testutil.Within(time.Second-time.Since(start)))
	if !gotA.Revoked || !gotA.Self.Revoked {
		t.Errorf("revoked device's netmap: %+v", gotA)
	}
	if gotB := testutil.Receive(t, "the other device's netmap", cb); len(gotB.Peers) != 0 {
		t.Errorf("b still sees peers %+v", gotB.Peers)
	}
	// A later poll says so at once, other calls refuse, and leaving is done.
	if nm, err := th.client.netMap(t.Context(), a.Token, 12345); err != nil || !nm.Revoked {
		t.Errorf("netmap of a revoked device: %+v, %v", nm, err)
	}
	if err := th.client.do(t.Context(), "POST", PathRotate, a.Token, RotateRequest{PublicKey: newPublicKey(t)}, nil); errCode(err) != "revoked" {
		t.Errorf("rotate after revoke: got %v, want revoked", err)
	}
	if err := th.client.do(t.Context(), "POST", hubapi.PathLeave, a.Token, nil, nil); err != nil {
		t.Errorf("leave after revoke: %v", err)
	}
	if c := th.enroll(t, secret, "a"); c.Address != a.Address {
		t.Errorf("next enrollment got %s, want the revoked device's %s", c.Address, a.Address)
	}
	if err := th.admin.Revoke(t.Context(), "nope"); errCode(err) != "device_unknown" {
		t.Errorf("revoke unknown: got %v", err)
	}
}

func TestRotate(t *testing.T) {
	th := startHub(t, Options{})
	oldKey, newKey := newPublicKey(t), newPublicKey(t)
	a, err := th.client.enroll(t.Context(), th.invite(t, "ivy", InviteOptions{}), "a", oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := th.client.do(t.Context(), "POST", PathRotate, a.Token, RotateRequest{PublicKey: newKey}, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := th.dev.peer(oldKey); ok {
		t.Error("old key is still a peer")
	}
	if p, ok := th.dev.peer(newKey); !ok || p.AllowedIPs[0].String() != a.Address {
		t.Errorf("new key's peer %+v, %v", p, ok)
	}
}

func TestRestartKeepsState(t *testing.T) {
	dir := t.TempDir()
	th := startHub(t, Options{DataDir: dir})
	secret := th.invite(t, "jack", InviteOptions{Uses: 3})
	var enrolled []hubapi.EnrollResponse
	for _, name := range []string{"a", "b", "c"} {
		enrolled = append(enrolled, th.enroll(t, secret, name))
	}
	fp, wgPub := th.Fingerprint(), th.HubPeer().PublicKey
	if err := th.Close(); err != nil {
		t.Fatal(err)
	}

	th2 := startHub(t, Options{DataDir: dir})
	if th2.Fingerprint() != fp || th2.HubPeer().PublicKey != wgPub {
		t.Errorf("certificate or WireGuard key changed across a restart")
	}
	testutil.Eventually(t, "the peers re-added", func() bool { return th2.dev.numPeers() == 3 })
	for _, e := range enrolled {
		nm, err := th2.client.netMap(t.Context(), e.Token, 0)
		if err != nil {
			t.Fatal(err)
		}
		if nm.Self.Address != e.Address {
			t.Errorf("%s: address %s after restart, was %s", e.DeviceID, nm.Self.Address, e.Address)
		}
	}
	// The invite's count of uses survived too.
	if _, err := th2.client.enroll(t.Context(), secret, "d", newPublicKey(t)); errCode(err) != "invite_used" {
		t.Errorf("got %v, want invite_used", err)
	}
}

func TestSecondHubOnSameDataDirRefused(t *testing.T) {
	th := startHub(t, Options{})
	_, err := New(Options{DataDir: th.opts.DataDir, Listen: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "another devenv hub") {
		t.Fatalf("got %v", err)
	}
}

func TestAdminSocket(t *testing.T) {
	th := startHub(t, Options{})
	fi, err := os.Stat(filepath.Join(th.opts.DataDir, "admin.sock"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Mode().Type() != os.ModeSocket {
		t.Errorf("admin.sock mode %v, want a socket with 0600", fi.Mode())
	}
	ctx := t.Context()
	if _, err := th.admin.AddUser(ctx, "kim", hubapi.RoleApprover); err != nil {
		t.Fatal(err)
	}
	if _, err := th.admin.AddUser(ctx, "kim", hubapi.RoleAdmin); errCode(err) != "user_exists" {
		t.Errorf("duplicate user: got %v", err)
	}
	if _, err := th.admin.AddUser(ctx, "lee", "boss"); errCode(err) != "bad_request" {
		t.Errorf("bad role: got %v", err)
	}
	if _, err := th.admin.CreateInvite(ctx, InviteOptions{User: "nobody"}); errCode(err) != "user_unknown" {
		t.Errorf("invite for unknown user: got %v", err)
	}
	secret := th.invite(t, "kim", InviteOptions{Uses: 2})
	d := th.enroll(t, secret, "laptop")
	users, err := th.admin.Users(ctx)
	if err != nil || len(users) != 1 || users[0].Role != hubapi.RoleApprover {
		t.Fatalf("users %+v, %v", users, err)
	}
	if err := th.admin.RemoveUser(ctx, "kim"); err != nil {
		t.Fatal(err)
	}
	devs, err := th.admin.Devices(ctx)
	if err != nil || len(devs) != 1 || !devs[0].Revoked || devs[0].ID != d.DeviceID {
		t.Errorf("devices after removing their user: %+v, %v", devs, err)
	}
	if _, err := th.client.enroll(ctx, secret, "phone", newPublicKey(t)); errCode(err) != "invite_unknown" {
		t.Errorf("invite of a removed user: got %v", err)
	}
	if err := th.admin.RemoveUser(ctx, "kim"); errCode(err) != "user_unknown" {
		t.Errorf("removing twice: got %v", err)
	}
}

func TestAdminClientWithoutHub(t *testing.T) {
	_, err := NewAdminClient(t.TempDir()).Users(t.Context())
	if err == nil || !strings.Contains(err.Error(), ErrNoHub.Error()) || !strings.Contains(err.Error(), "devenv hub serve") {
		t.Fatalf("got %v", err)
	}
}

func TestAdminOverHTTPS(t *testing.T) {
	th := startHub(t, Options{})
	ctx := t.Context()
	if _, err := th.admin.AddUser(ctx, "root", hubapi.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	admin := th.enroll(t, th.invite(t, "root", InviteOptions{}), "console")
	dev := th.enroll(t, th.invite(t, "mia", InviteOptions{}), "laptop")
	if err := th.client.do(ctx, "GET", hubapi.PathDevices, dev.Token, nil, nil); errCode(err) != "forbidden" {
		t.Errorf("developer listing devices: got %v, want forbidden", err)
	}
	if err := th.client.do(ctx, "GET", hubapi.PathDevices, "", nil, nil); errCode(err) != "unauthorized" {
		t.Errorf("no token: got %v, want unauthorized", err)
	}
	var devs []hubapi.Device
	if err := th.client.do(ctx, "GET", hubapi.PathDevices, admin.Token, nil, &devs); err != nil || len(devs) != 2 {
		t.Fatalf("devices %+v, %v", devs, err)
	}
	if err := th.client.do(ctx, "POST", hubapi.PathRevoke, admin.Token, hubapi.RevokeRequest{ID: dev.DeviceID}, nil); err != nil {
		t.Fatal(err)
	}
	if err := th.client.do(ctx, "GET", hubapi.PathDevices, dev.Token, nil, nil); errCode(err) != "revoked" {
		t.Errorf("revoked device listing devices: got %v, want revoked", err)
	}
}

// TestMetrics: /metrics is served on the metrics address only; whoever
// reaches the public HTTPS port learns nothing of the hub's counters.
func TestMetrics(t *testing.T) {
	th := startHub(t, Options{MetricsListen: "127.0.0.1:0"})
	th.enroll(t, th.invite(t, "ned", InviteOptions{}), "a")
	th.client.enroll(t.Context(), "bogus", "b", newPublicKey(t))
	err := th.client.do(t.Context(), http.MethodGet, hubapi.PathMetrics, "", nil, nil)
	if errCode(err) != "not_found" {
		t.Errorf("/metrics on the public port: %v, want not_found", err)
	}
	if err := th.client.do(t.Context(), http.MethodGet, PathHealth, "", nil, nil); err != nil {
		t.Errorf("/healthz on the public port: %v", err)
	}
	resp, err := http.Get("http://" + th.MetricsAddr().String() + hubapi.PathMetrics)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []string{
		`devenv_hub_devices{state="live"} 1`,
		`devenv_hub_enrollments_total 1`,
		`devenv_hub_netmap_waiters 0`,
		`devenv_hub_requests_total{path="/api/v1/enroll",code="200"} 1`,
		`devenv_hub_requests_total{path="/api/v1/enroll",code="403"} 1`,
	} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}
