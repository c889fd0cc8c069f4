// Package paneltest runs one tui.Panel as a whole bubbletea program, as the
// root model would host it, for the panels' teatest tests.
package paneltest

import (
	"bytes"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/devenv-dev/devenv/tui"
)

// Host is a program of one panel: active, sized by the window, keys to it;
// ctrl+c quits.
type Host struct {
	p    tui.Panel
	init tea.Cmd
}

// New hosts p; init is what activating p returned.
func New(p tui.Panel, init tea.Cmd) Host { return Host{p: p, init: init} }

func (h Host) Init() tea.Cmd { return h.init }

func (h Host) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
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

func (h Host) View() string { return h.p.View() }

// Panel is the panel as the program left it.
func (h Host) Panel() tui.Panel { return h.p }

// Contains is a teatest.WaitFor condition: the output holds s.
func Contains(s string) func([]byte) bool {
	return func(b []byte) bool { return bytes.Contains(b, []byte(s)) }
}
