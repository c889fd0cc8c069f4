package vpnview

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

// TestProgramDown drives the panel in a real program: it shows the node,
// d asks, y brings it down, and the final screen is the golden one.
func TestProgramDown(t *testing.T) {
	f := &fakeSource{}
	f.set(upStatus(), nil)
	m := New(f)
	m.now = func() time.Time { return clock }
	m.every = 20 * time.Millisecond
	p, cmd := m.SetActive(true)
	tm := teatest.NewTestModel(t, host{p: p, init: cmd}, teatest.WithInitialTermSize(80, 24))
	teatest.WaitFor(t, tm.Output(), contains("● connected on devenv0"), teatest.WithDuration(5*time.Second))
	tm.Send(keyMsg("d"))
	teatest.WaitFor(t, tm.Output(), contains("bring the vpn down?"), teatest.WithDuration(5*time.Second))
	tm.Send(keyMsg("y"))
	teatest.WaitFor(t, tm.Output(), contains("○ down: u or"), teatest.WithDuration(5*time.Second))
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(host)
	if reads, _, downs := f.counts(); downs != 1 || reads < 2 {
		t.Errorf("reads %d, downs %d; want at least 2 reads and 1 down", reads, downs)
	}
	golden.RequireEqual(t, []byte(final.View()))
}
