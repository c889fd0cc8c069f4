package accessview

import (
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/devenv-dev/devenv/tui/keytest"
	"github.com/devenv-dev/devenv/tui/paneltest"
)

// TestProgramDeny drives the panel in a real program: an approver selects
// the pending request, types a reason, sends it; the final screen is the
// golden one.
func TestProgramDeny(t *testing.T) {
	f := sampleHub()
	m := newPanel(t, f)
	m.now = func() time.Time { return testClock }
	m.every = 50 * time.Millisecond
	p, cmd := m.SetActive(true)
	host := paneltest.New(p, cmd)
	tm := teatest.NewTestModel(t, host, teatest.WithInitialTermSize(80, 24))
	wait := teatest.WithDuration(15 * time.Second)
	teatest.WaitFor(t, tm.Output(), host.Shows("TO APPROVE (1)"), wait)
	tm.Send(keytest.Press("j"))
	tm.Send(keytest.Press("j"))
	tm.Send(keytest.Press("j"))
	tm.Send(keytest.Press("d"))
	teatest.WaitFor(t, tm.Output(), host.Shows("deny 9c0d1e2f (erin, prod-db), reason:"), wait)
	tm.Type("not now")
	tm.Send(keytest.Press("enter"))
	teatest.WaitFor(t, tm.Output(), host.Shows("denied 9c0d1e2f: not now", "TO APPROVE (0)"), wait)
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := tm.FinalModel(t, teatest.WithFinalTimeout(15*time.Second)).(paneltest.Host)
	if final.Panel().Capturing() {
		t.Error("still capturing after the denial")
	}
	golden.RequireEqual(t, []byte(ansi.Strip(final.Panel().View())))
}
