package vpnview

import (
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/devenv-dev/devenv/tui/keytest"
	"github.com/devenv-dev/devenv/tui/paneltest"
)

// TestProgramDown drives the panel in a real program: it shows the node,
// d asks, y brings it down, and the final screen is the golden one.
func TestProgramDown(t *testing.T) {
	f := &fakeSource{}
	f.set(upStatus(), nil)
	m := newPanel(t, f)
	m.now = func() time.Time { return clock }
	m.every = 20 * time.Millisecond
	p, cmd := m.SetActive(true)
	host := paneltest.New(p, cmd)
	tm := teatest.NewTestModel(t, host, teatest.WithInitialTermSize(80, 24))
	teatest.WaitFor(t, tm.Output(), host.Shows("● connected on devenv0"), teatest.WithDuration(15*time.Second))
	tm.Send(keytest.Press("d"))
	teatest.WaitFor(t, tm.Output(), host.Shows("bring the vpn down?"), teatest.WithDuration(15*time.Second))
	tm.Send(keytest.Press("y"))
	teatest.WaitFor(t, tm.Output(), host.Shows("○ down: u or"), teatest.WithDuration(15*time.Second))
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := tm.FinalModel(t, teatest.WithFinalTimeout(15*time.Second)).(paneltest.Host)
	if reads, _, downs := f.counts(); downs != 1 || reads < 2 {
		t.Errorf("reads %d, downs %d; want at least 2 reads and 1 down", reads, downs)
	}
	golden.RequireEqual(t, []byte(ansi.Strip(final.Panel().View())))
}
