package vpnview

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/goleak"

	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/tui/paneltest"
	"github.com/devenv-dev/devenv/vpn"
)

// blockingSource is a node whose every call blocks until its context ends;
// ended says how it did.
type blockingSource struct {
	started chan string // the call's name, once it blocks
	ended   chan error  // the context's error, once it ended
}

func newBlockingSource() *blockingSource {
	return &blockingSource{started: make(chan string, 4), ended: make(chan error, 4)}
}

func (b *blockingSource) block(ctx context.Context, call string) error {
	b.started <- call
	<-ctx.Done()
	b.ended <- ctx.Err()
	return ctx.Err()
}

func (b *blockingSource) Status(ctx context.Context) (vpn.NodeStatus, error) {
	return vpn.NodeStatus{}, b.block(ctx, "status")
}
func (b *blockingSource) Up(ctx context.Context) error   { return b.block(ctx, "up") }
func (b *blockingSource) Down(ctx context.Context) error { return b.block(ctx, "down") }

// Quitting the UI cancels the panel's status read in flight, instead of
// leaving it to run out its timeout.
func TestQuitCancelsTheStatusRead(t *testing.T) {
	src := newBlockingSource()
	before := goleak.IgnoreCurrent()
	ui := paneltest.RunUI(t, New(src))
	if call := testutil.Receive(t, "first read", src.started); call != "status" {
		t.Fatalf("the first call is %s, want status", call)
	}
	ui.Quit()
	if err := testutil.Receive(t, "end of the read", src.ended); !errors.Is(err, context.Canceled) {
		t.Errorf("the read ended with %v, want it cancelled by the quit", err)
	}
	goleak.VerifyNone(t, before)
}

// vpn up and down, and the status reads, run under the UI's context: when
// it ends, so do they.
func TestCallsEndWithTheUIContext(t *testing.T) {
	for _, a := range []action{actionUp, actionDown} {
		t.Run(a.String(), func(t *testing.T) {
			src := newBlockingSource()
			ctx, cancel := context.WithCancel(t.Context())
			p, _ := New(src).Init(ctx)
			_, cmd := p.(Model).start(a)
			done := make(chan any, 1)
			go func() { done <- cmd() }()
			testutil.Receive(t, a.String(), src.started)
			cancel()
			if err := testutil.Receive(t, "end of "+a.String(), src.ended); !errors.Is(err, context.Canceled) {
				t.Errorf("vpn %s ended with %v, want it cancelled with the UI", a, err)
			}
			if msg := testutil.Receive(t, "the action's message", done).(actionDoneMsg); !errors.Is(msg.err, context.Canceled) {
				t.Errorf("the panel got %v", msg.err)
			}
		})
	}
}

// TestMain fails the package's tests if a goroutine they started outlives
// them: the panel's calls and ticks end with the UI's context. teatest
// leaves one goroutine per program, waiting for an interrupt.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/charmbracelet/x/exp/teatest/v2.NewTestModel.func2"))
}
