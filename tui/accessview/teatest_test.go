package accessview

import (
	"bytes"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/devenv-dev/devenv/tui"
)

// host runs one panel as a whole program, as the root model would: active,
// sized by the window, keys to it.
type host struct {
	p    tui.Panel
	init tea.Cmd
}

func (h host) Init() tea.Cmd { return h.init }

func (h host) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		h.p = h.p.SetSize(msg.Width, msg.Height)
		return h, nil
	case tea.KeyMsg:
		if msg.Type == tea.KeyCtrlC {
			return h, tea.Quit
		}
	}
	var cmd tea.Cmd
	h.p, cmd = h.p.Update(msg)
	return h, cmd
}

func (h host) View() string { return h.p.View() }

func contains(s string) func([]byte) bool {
	return func(b []byte) bool { return bytes.Contains(b, []byte(s)) }
}

// TestProgramDeny drives the panel in a real program: an approver selects
// the pending request, types a reason, sends it; the final screen is the
// golden one.
func TestProgramDeny(t *testing.T) {
	f := sampleHub()
	m := New(f)
	m.now = func() time.Time { return testClock }
	m.every = 50 * time.Millisecond
	p, cmd := m.SetActive(true)
	tm := teatest.NewTestModel(t, host{p: p, init: cmd}, teatest.WithInitialTermSize(80, 24))
	wait := teatest.WithDuration(5 * time.Second)
	teatest.WaitFor(t, tm.Output(), contains("TO APPROVE (1)"), wait)
	tm.Send(keyMsg("j"))
	tm.Send(keyMsg("j"))
	tm.Send(keyMsg("j"))
	tm.Send(keyMsg("d"))
	teatest.WaitFor(t, tm.Output(), contains("deny 9c0d1e2f (erin, prod-db), reason:"), wait)
	tm.Type("not now")
	tm.Send(keyMsg("enter"))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return contains("denied 9c0d1e2f: not now")(b) && contains("TO APPROVE (0)")(b)
	}, wait)
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(host)
	if final.p.Capturing() {
		t.Error("still capturing after the denial")
	}
	golden.RequireEqual(t, []byte(final.p.View()))
}
