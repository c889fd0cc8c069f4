package accessview

import (
	"context"
	"regexp"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/access/accesshub"
	"github.com/devenv-dev/devenv/vpn"
	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
	"github.com/devenv-dev/devenv/vpn/wg"
)

// accessHub is a hub with its access half.
type accessHub struct {
	*hub.Hub
	*accesshub.Access
}

// startHubAt serves a real hub with its access half in process from
// dataDir on listen, its WireGuard on wgPort (hub.AnyPort: any free one);
// stop stops it (once; the test's end stops it too).
func startHubAt(t *testing.T, dataDir, listen string, wgPort int) (accessHub, func()) {
	t.Helper()
	access := accesshub.New(accesshub.Options{})
	h, err := hub.New(hub.Options{
		DataDir: dataDir, Listen: listen, WGListenPort: wgPort, Endpoint: "127.0.0.1:0",
		Extensions: []hub.Extension{access},
		NewDevice: func(c wg.Config) (wg.Device, error) {
			return wg.Open(wg.Options{Config: c, Backend: wg.BackendNetstack})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- h.Serve(context.Background()) }()
	stop := sync.OnceFunc(func() { h.Close(); <-served })
	t.Cleanup(stop)
	select {
	case <-h.Ready():
	case err := <-served:
		served <- err // for the cleanup
		t.Fatalf("the hub stopped before it served: %v", err)
	}
	return accessHub{h, access}, stop
}

// join adds a user with a role and joins a fresh state directory as their
// device.
func join(t *testing.T, h *hub.Hub, user string, role hubapi.Role) string {
	t.Helper()
	if _, err := h.AddUser(user, role); err != nil {
		t.Fatal(err)
	}
	inv, err := h.CreateInvite(hub.InviteOptions{User: user})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := vpn.Join(t.Context(), vpn.JoinOptions{Invite: inv.Invite, Name: user + "-laptop", Dir: dir}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func registerGateway(t *testing.T, h accessHub, dir string) {
	t.Helper()
	created, err := h.AddGateway("gw1")
	if err != nil {
		t.Fatal(err)
	}
	st, err := vpn.LoadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := wgtypes.GeneratePrivateKey()
	gw := hubclient.New(st.HubURL, st.Fingerprint, created.Token)
	defer gw.Close()
	_, err = gw.RegisterTargets(t.Context(), hubapi.RegisterTargets{PublicKey: key.PublicKey().String(),
		Endpoint: "127.0.0.1:51999", Network: "100.101.0.0/24",
		Targets: []hubapi.Target{{Name: "api", Protocol: hubapi.ProtocolHTTP, MaxTTL: time.Hour, Description: "the API, read-only"}}})
	if err != nil {
		t.Fatal(err)
	}
}

// realPanel is a panel on the state in dir with the real clock, its ticks
// dropped (press runs only the calls).
func realPanel(t *testing.T, dir string) Model {
	m := newPanel(t, StateSource(dir))
	m.tick = func(_ time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
		return func() tea.Msg { return fn(time.Now()) }
	}
	p, cmd := m.SetSize(120, 40).SetActive(true)
	return settle(p.(Model), cmd)
}

// TestAgainstARealHub: a developer requests access from the form, an
// approver sees it and approves it, the developer's countdown shows; a
// second request is denied with a reason, which the developer sees.
func TestAgainstARealHub(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a hub")
	}
	dataDir := t.TempDir()
	h, stop := startHubAt(t, dataDir, "127.0.0.1:0", hub.AnyPort)
	ann := join(t, h.Hub, "ann", hubapi.RoleDeveloper)
	bob := join(t, h.Hub, "bob", hubapi.RoleApprover)
	registerGateway(t, h, ann)

	dev := realPanel(t, ann)
	mustContain(t, ansi.Strip(dev.View()), "MY REQUESTS (0)")
	mustLack(t, ansi.Strip(dev.View()), "TO APPROVE") // the hub refuses a developer the pending list
	dev = press(dev, "n")
	mustContain(t, ansi.Strip(dev.View()), "‹ api ›  http, at most 1h · 1 of 1", "the API, read-only")
	dev = press(dev, "tab", "bug 1234", "enter", "enter")
	mustContain(t, ansi.Strip(dev.View()), "for api: pending; an approver decides", "MY REQUESTS (1)")

	appr := realPanel(t, bob)
	mustContain(t, ansi.Strip(appr.View()), "TO APPROVE (1)", "ann        api     30m")
	appr = press(appr, "a", "y")
	mustContain(t, ansi.Strip(appr.View()), ": ann on api until ", "TO APPROVE (0)")

	dev = press(dev, "R")
	if !regexp.MustCompile(`api\s+approved\s+(29m5\d|30m00)s left\s+bug 1234`).MatchString(ansi.Strip(dev.View())) {
		t.Errorf("no countdown after approval:\n%s", ansi.Strip(dev.View()))
	}
	mustContain(t, ansi.Strip(dev.View()), "approved by bob until ")
	if !dev.ticking {
		t.Error("the countdown does not tick")
	}

	dev = press(dev, "n", "tab", "again, longer", "tab", "backspace", "backspace", "backspace", "45m", "enter")
	mustContain(t, ansi.Strip(dev.View()), "MY REQUESTS (2)")
	appr = press(appr, "R", "j", "d", "not during the freeze", "enter")
	mustContain(t, ansi.Strip(appr.View()), ": not during the freeze", "TO APPROVE (0)")
	dev = press(dev, "R")
	v := ansi.Strip(dev.View())
	if !regexp.MustCompile(`api\s+denied\s+\d+s ago\s+again, longer`).MatchString(v) {
		t.Errorf("no denial in the list:\n%s", v)
	}
	for range 2 {
		if r, _, _ := dev.selected(); r.State != hubapi.StateDenied {
			dev = press(dev, "j")
		}
	}
	mustContain(t, ansi.Strip(dev.View()), "denied by bob: not during the freeze")
	hubGoesAndComesBack(t, h.Hub, dataDir, stop, dev)
}

// hubGoesAndComesBack stops the hub: the panel says so in place and keeps
// its lists; the hub comes back on the same address and data, and the
// next read clears it.
func hubGoesAndComesBack(t *testing.T, h *hub.Hub, dataDir string, stop func(), dev Model) {
	t.Helper()
	addr, wgPort := h.Addr().String(), h.WGPort()
	stop()
	dev = press(dev, "R")
	mustContain(t, ansi.Strip(dev.View()), "hub unreachable (lists as of ", "retrying by itself", "MY REQUESTS (2)", "bug 1234")
	startHubAt(t, dataDir, addr, wgPort) // as a real hub's configuration keeps them
	dev = press(dev, "R")
	mustLack(t, ansi.Strip(dev.View()), "unreachable")
	mustContain(t, ansi.Strip(dev.View()), "MY REQUESTS (2)")
}
