package accessview

import (
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/devenv-dev/devenv/tui/paneltest"
)

// TestProgramDeny drives the panel in a real program: an approver selects
// the pending request, types a reason, sends it; the final screen is the
// golden one.
func TestProgramDeny(t *testing.T) {
	f := sampleHub()
	m := New(f)
	m.now = func() time.Time { return testClock }
	m.every = 50 * time.Millisecond
	p, cmd := m.SetActive(true)
	tm := teatest.NewTestModel(t, paneltest.New(p, cmd), teatest.WithInitialTermSize(80, 24))
	wait := teatest.WithDuration(5 * time.Second)
	teatest.WaitFor(t, tm.Output(), paneltest.Contains("TO APPROVE (1)"), wait)
	tm.Send(keyMsg("j"))
	tm.Send(keyMsg("j"))
	tm.Send(keyMsg("j"))
	tm.Send(keyMsg("d"))
	teatest.WaitFor(t, tm.Output(), paneltest.Contains("deny 9c0d1e2f (erin, prod-db), reason:"), wait)
	tm.Type("not now")
	tm.Send(keyMsg("enter"))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return paneltest.Contains("denied 9c0d1e2f: not now")(b) && paneltest.Contains("TO APPROVE (0)")(b)
	}, wait)
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(paneltest.Host)
	if final.Panel().Capturing() {
		t.Error("still capturing after the denial")
	}
	golden.RequireEqual(t, []byte(final.Panel().View()))
}
