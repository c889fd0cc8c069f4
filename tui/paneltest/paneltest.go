// Package paneltest runs one tui.Panel as a whole bubbletea program, as the
// root model would host it, for the panels' teatest tests.
package paneltest

import (
	"strings"
	"sync"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/devenv-dev/devenv/tui"
)

// Host is a program of one panel: active, sized by the window, keys to it;
// ctrl+c quits.
type Host struct {
	p     tui.Panel
	init  tea.Cmd
	frame *frame // non-nil; shared by the copies of the Host the program keeps
}

// frame is the text of the last view the program drew.
type frame struct {
	mu   sync.Mutex
	text string // guarded by mu
}

// New hosts p; init is what activating p returned.
func New(p tui.Panel, init tea.Cmd) Host { return Host{p: p, init: init, frame: &frame{}} }

func (h Host) Init() tea.Cmd { return h.init }

func (h Host) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		h.p = h.p.SetSize(msg.Width, msg.Height)
		return h, nil
	case tea.KeyPressMsg:
		if msg.String() == "ctrl+c" {
			return h, tea.Quit
		}
	}
	var cmd tea.Cmd
	h.p, cmd = h.p.Update(msg)
	return h, cmd
}

func (h Host) View() tea.View {
	v := h.p.View()
	h.frame.mu.Lock()
	h.frame.text = ansi.Strip(v)
	h.frame.mu.Unlock()
	return tea.NewView(v)
}

// Panel is the panel as the program left it.
func (h Host) Panel() tui.Panel { return h.p }

// Shows is a teatest.WaitFor condition: the last frame the program drew
// holds every one of texts. It reads the frame, not the terminal's bytes:
// the renderer writes only the cells that changed, so the byte stream need
// not hold a line whole.
func (h Host) Shows(texts ...string) func([]byte) bool {
	return func([]byte) bool {
		h.frame.mu.Lock()
		defer h.frame.mu.Unlock()
		for _, s := range texts {
			if !strings.Contains(h.frame.text, s) {
				return false
			}
		}
		return true
	}
}
