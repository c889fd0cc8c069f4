package vpnview

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/devenv-dev/devenv/internal/format"
	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/tui/keytest"
	"github.com/devenv-dev/devenv/vpn"
	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hub/hubtest"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// startHub serves a real hub in process with a userspace WireGuard device.
func startHub(t *testing.T) *hub.Hub {
	t.Helper()
	return hubtest.Start(t, hub.Options{WGListenPort: hub.AnyPort, Endpoint: "127.0.0.1:0", NewDevice: hubtest.Netstack}).Hub
}

// waitView feeds the panel its reads, as its own refresh does, until its
// view contains want. The handshake with the hub is not an event the node
// reports, so this polls; the deadline is generous for a loaded machine.
func waitView(t *testing.T, m Model, want string) Model {
	t.Helper()
	testutil.EventuallyNoError(t, fmt.Sprintf("the view to show %q", want), func() error {
		m, _ = update(t, m, m.readNow())
		if v := ansi.Strip(m.View()); !strings.Contains(v, want) {
			return fmt.Errorf("the view shows:\n%s", v)
		}
		return nil
	})
	return m
}

// readNow runs one read as R would.
func (m Model) readNow() statusMsg {
	_, cmd := m.read(false)
	return cmd().(statusMsg)
}

// TestAgainstARealNode: a state directory that has not joined, then joined
// and down, then a userspace node up and connected to a real hub in process,
// then brought down from the panel with d and y.
func TestAgainstARealNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a hub and a node")
	}
	dir := t.TempDir()
	m := newPanel(t, LocalSource(dir))
	m.now = time.Now
	p := m.SetSize(100, 30)
	m = waitView(t, p.(Model), "not joined")

	h := startHub(t)
	if _, err := h.AddUser("ann", hubapi.RoleDeveloper); err != nil {
		t.Fatal(err)
	}
	inv, err := h.CreateInvite(hub.InviteOptions{User: "ann"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vpn.Join(t.Context(), vpn.JoinOptions{Invite: inv.Invite, Name: "laptop", Dir: dir}); err != nil {
		t.Fatal(err)
	}
	m = waitView(t, m, "○ down")

	n, err := vpn.NewNode(dir)
	if err != nil {
		t.Fatal(err)
	}
	iface := fmt.Sprintf("tv%d", os.Getpid()%100000)
	ran := make(chan error, 1)
	go func() { ran <- n.Run(t.Context(), vpn.RunOptions{Userspace: true, Interface: iface}) }()
	m = waitView(t, m, "● connected on "+iface+" (netstack)")
	v := ansi.Strip(m.View())
	for _, want := range []string{"laptop (ann)", "100.100.0.2 on 100.100.0.0/16", "ago", "hub " + format.ShortKey(h.HubPeer().PublicKey)} {
		if !strings.Contains(v, want) {
			t.Errorf("connected view lacks %q:\n%s", want, v)
		}
	}

	m, _ = update(t, m, keytest.Press("d"))
	m, cmd := update(t, m, keytest.Press("y"))
	m, _ = update(t, m, cmd())
	if err := testutil.Receive(t, "the node's end after d, y", ran); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("the node ended with %v", err)
	}
	m = waitView(t, m, "○ down")
	if v := ansi.Strip(m.View()); !strings.Contains(v, "vpn down") {
		t.Errorf("after down:\n%s", v)
	}
}
