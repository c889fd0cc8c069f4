package vpnview

import (
	"fmt"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/devenv-dev/devenv/tui/keytest"
	"github.com/devenv-dev/devenv/vpn"
)

// TestGolden renders the panel's states at 80x24 and 120x40 with the fixed
// clock; go test -run TestGolden -update rewrites testdata/TestGolden.
func TestGolden(t *testing.T) {
	hubDown := upStatus()
	hubDown.HubError = "cannot reach the hub at https://hub.example:8443: dial tcp 203.0.113.1:8443: connect: connection refused; check that the hub is running and that this machine can reach it"
	hubDown.SOCKS = "127.0.0.1:1080"
	hubDown.Forwards = []vpn.PortForward{{Listen: "127.0.0.1:5432", Target: "100.100.0.3:5432"}}
	down := upStatus()
	down.Up, down.Peers, down.Devices = false, []vpn.PeerStatus{}, nil
	tests := []struct {
		name   string
		status vpn.NodeStatus
		err    error
		keys   []string
	}{
		{name: "connected", status: upStatus()},
		{name: "hub_error", status: hubDown},
		{name: "down", status: down},
		{name: "not_joined", err: vpn.ErrNotJoined},
		{name: "confirm_down", status: upStatus(), keys: []string{"d"}},
	}
	for _, tt := range tests {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s_%dx%d", tt.name, size[0], size[1]), func(t *testing.T) {
				f := &fakeSource{}
				f.set(tt.status, tt.err)
				m := newTestModel(t, f, size[0], size[1])
				for _, k := range tt.keys {
					m, _ = update(t, m, keytest.Press(k))
				}
				golden.RequireEqual(t, []byte(ansi.Strip(m.View())))
			})
		}
	}
}
