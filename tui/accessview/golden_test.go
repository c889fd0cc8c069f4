package accessview

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/devenv-dev/devenv/vpn"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
)

// TestGolden renders the panel's states at 80x24 and 120x40 with the fixed
// clock; go test -run TestGolden -update rewrites testdata/TestGolden.
func TestGolden(t *testing.T) {
	unreachable := &hubclient.UnreachableError{URL: "https://hub.example:8443", Err: errors.New("dial tcp 203.0.113.1:8443: connect: connection refused")}
	forbidden := &hubclient.APIError{Status: 403, Body: hubapi.Error{Code: "forbidden"}}
	tests := []struct {
		name  string
		setup func(f *fakeHub)
		keys  []string
		later func(f *fakeHub) // before R, 14 s later
	}{
		{name: "lists"},
		{name: "developer", setup: func(f *fakeHub) { f.pendingErr = forbidden }},
		{name: "empty", setup: func(f *fakeHub) { f.mine, f.pending = nil, nil }},
		{name: "not_joined", setup: func(f *fakeHub) { f.err = vpn.ErrNotJoined }},
		{name: "unreachable", later: func(f *fakeHub) { f.err = unreachable }},
		{name: "confirm_approve", keys: []string{"j", "j", "j", "a"}},
		{name: "deny_reason", keys: []string{"j", "j", "j", "d", "not during the freeze"}},
		{name: "denied", keys: []string{"j", "j", "j", "d", "not during the freeze", "enter"}},
		{name: "form", keys: []string{"n", "tab", "bug 1234"}},
		{name: "form_problem", keys: []string{"n", "tab", "bug 1234", "tab", "backspace", "backspace", "backspace", "3h", "enter"}},
	}
	for _, tt := range tests {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s_%dx%d", tt.name, size[0], size[1]), func(t *testing.T) {
				f := sampleHub()
				if tt.setup != nil {
					tt.setup(f)
				}
				m := press(newTestModel(t, f, size[0], size[1]), tt.keys...)
				if tt.later != nil {
					f.set(tt.later)
					m = press(at(m, 14*time.Second), "R")
				}
				golden.RequireEqual(t, []byte(ansi.Strip(m.View())))
			})
		}
	}
}
