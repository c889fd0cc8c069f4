package accessview

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/goleak"

	tea "charm.land/bubbletea/v2"

	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/tui"
	"github.com/devenv-dev/devenv/tui/paneltest"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// blockingHub is a hub whose every call blocks until its context ends;
// ended says how it did.
type blockingHub struct {
	started chan string // the call's name, once it blocks
	ended   chan error  // the context's error, once it ended
}

func newBlockingHub() *blockingHub {
	return &blockingHub{started: make(chan string, 4), ended: make(chan error, 4)}
}

func (b *blockingHub) block(ctx context.Context, call string) error {
	b.started <- call
	<-ctx.Done()
	b.ended <- ctx.Err()
	return ctx.Err()
}

func (b *blockingHub) Requests(ctx context.Context, _ string) ([]hubapi.Request, error) {
	return nil, b.block(ctx, "requests")
}
func (b *blockingHub) Targets(ctx context.Context) ([]hubapi.Target, error) {
	return nil, b.block(ctx, "targets")
}
func (b *blockingHub) Request(ctx context.Context, _ Ask) (hubapi.Request, error) {
	return hubapi.Request{}, b.block(ctx, "request")
}
func (b *blockingHub) Approve(ctx context.Context, _ hubapi.ApproveRequest) (hubapi.Request, error) {
	return hubapi.Request{}, b.block(ctx, "approve")
}
func (b *blockingHub) Deny(ctx context.Context, _ hubapi.DenyRequest) (hubapi.Request, error) {
	return hubapi.Request{}, b.block(ctx, "deny")
}
func (b *blockingHub) RevokeGrant(ctx context.Context, _ string) (hubapi.Request, error) {
	return hubapi.Request{}, b.block(ctx, "revoke")
}

// Quitting the UI cancels the panel's read of the lists in flight, instead
// of leaving it to run out its timeout.
func TestQuitCancelsTheListsRead(t *testing.T) {
	hub := newBlockingHub()
	before := goleak.IgnoreCurrent()
	ui := paneltest.RunUI(t, New(hub))
	if call := testutil.Receive(t, "first read", hub.started); call != "requests" {
		t.Fatalf("the first call is %s, want requests", call)
	}
	ui.Quit()
	if err := testutil.Receive(t, "end of the read", hub.ended); !errors.Is(err, context.Canceled) {
		t.Errorf("the read ended with %v, want it cancelled by the quit", err)
	}
	goleak.VerifyNone(t, before)
}

// Every call the panel makes to the hub runs under the UI's context: when
// it ends, so do they.
func TestCallsEndWithTheUIContext(t *testing.T) {
	req := hubapi.Request{ID: "9c0d1e2f3a4b5c6d", Target: "prod-db", State: hubapi.StatePending}
	tests := []struct {
		call  string
		start func(Model) (tui.Panel, tea.Cmd)
	}{
		{"requests", func(m Model) (tui.Panel, tea.Cmd) { return m.load(false) }},
		{"targets", Model.openForm},
		{"request", func(m Model) (tui.Panel, tea.Cmd) {
			m.form = newForm(80).withTargets(targetsMsg{targets: []hubapi.Target{{Name: "prod-db"}}})
			m.form.reason.SetValue("incident 42")
			return m.send()
		}},
		{"approve", func(m Model) (tui.Panel, tea.Cmd) { return m.run(decision{verb: "approve", req: req}) }},
		{"deny", func(m Model) (tui.Panel, tea.Cmd) { return m.run(decision{verb: "deny", req: req}) }},
		{"revoke", func(m Model) (tui.Panel, tea.Cmd) { return m.run(decision{verb: "revoke", req: req}) }},
	}
	for _, tt := range tests {
		t.Run(tt.call, func(t *testing.T) {
			hub := newBlockingHub()
			ctx, cancel := context.WithCancel(t.Context())
			p, _ := New(hub).Init(ctx)
			_, cmd := tt.start(p.(Model))
			done := make(chan tea.Msg, 1)
			go func() { done <- cmd() }()
			if call := testutil.Receive(t, tt.call, hub.started); call != tt.call {
				t.Fatalf("the panel called %s, want %s", call, tt.call)
			}
			cancel()
			if err := testutil.Receive(t, "end of "+tt.call, hub.ended); !errors.Is(err, context.Canceled) {
				t.Errorf("%s ended with %v, want it cancelled with the UI", tt.call, err)
			}
			testutil.Receive(t, "the call's message", done)
		})
	}
}

// TestMain fails the package's tests if a goroutine they started outlives
// them: the panel's calls and ticks end with the UI's context. teatest
// leaves one goroutine per program, waiting for an interrupt.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/charmbracelet/x/exp/teatest/v2.NewTestModel.func2"))
}
