// Package vpnview is the UI's VPN panel: this machine's node on the team's
// network — up or not, its address, the hub and whether it answers, the
// WireGuard peers with their last handshake and traffic, and the other
// devices — read through the same library calls as devenv vpn status, with
// vpn up and vpn down behind a confirmation.
package vpnview

import (
	"context"
	"errors"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/devenv-dev/devenv/tui"
	"github.com/devenv-dev/devenv/vpn"
)

const (
	refreshEvery  = 2 * time.Second  // while the panel is visible
	statusTimeout = 10 * time.Second // one status read
	actionTimeout = time.Minute      // vpn up waits for the node to answer, down for it to go
)

// action is vpn up or vpn down.
type action int

const (
	actionNone action = iota
	actionUp
	actionDown
)

func (a action) String() string {
	switch a {
	case actionUp:
		return "up"
	case actionDown:
		return "down"
	}
	return ""
}

// Model is the VPN panel; it implements tui.Panel.
type Model struct {
	ctx   context.Context // the UI's, from Init: quitting cancels the reads and actions in flight
	src   Source          // non-nil
	keys  keyMap
	now   func() time.Time
	every time.Duration // between reads while active

	width, height int
	active        bool
	gen           int  // counts activations; ticks and chained reads of an older one are dropped
	loading       bool // a read is in flight

	status vpn.NodeStatus // the last good read, while loaded
	loaded bool
	readAt time.Time // when status was read
	err    error     // the last read's failure; nil after a good read

	confirm action // asked, waiting for y or n
	running action // in flight
	note    string // the last action's outcome
	noteBad bool   // note is a failure
	offset  int    // first line of the body shown
}

var _ tui.Panel = Model{}

// New returns the panel reading src.
func New(src Source) Model {
	return Model{src: src, keys: newKeyMap(), now: time.Now, every: refreshEvery}
}

// statusMsg is one read's result; chained reads schedule the next tick.
type statusMsg struct {
	gen     int
	chained bool
	status  vpn.NodeStatus
	err     error
}

// tickMsg asks for the next read of activation gen.
type tickMsg struct{ gen int }

// actionDoneMsg is the end of vpn up or down.
type actionDoneMsg struct {
	action action
	err    error
}

// Title is the tab's name.
func (m Model) Title() string { return "VPN" }

// Init keeps ctx for the panel's calls and reads the status once, so that
// the tab has it when first shown.
func (m Model) Init(ctx context.Context) (tui.Panel, tea.Cmd) {
	m.ctx = ctx
	return m.read(false)
}

// SetSize gives the panel its size.
func (m Model) SetSize(width, height int) tui.Panel {
	m.width, m.height = width, height
	return m
}

// SetActive starts reading every couple of seconds while the panel is
// visible, and stops when it is hidden; hiding it drops a question asked.
func (m Model) SetActive(active bool) (tui.Panel, tea.Cmd) {
	m.active = active
	if !active {
		m.confirm = actionNone
		return m, nil
	}
	m.gen++
	return m.read(true)
}

// Capturing is false: the panel has no text field.
func (m Model) Capturing() bool { return false }

// Update handles the panel's own messages and keys; it ignores the rest.
func (m Model) Update(msg tea.Msg) (tui.Panel, tea.Cmd) {
	switch msg := msg.(type) {
	case statusMsg:
		return m.onStatus(msg)
	case tickMsg:
		if !m.active || msg.gen != m.gen {
			return m, nil
		}
		return m.read(true)
	case actionDoneMsg:
		m.running = actionNone
		m.note, m.noteBad = "vpn "+msg.action.String(), false
		if msg.err != nil {
			m.note, m.noteBad = "vpn "+msg.action.String()+" failed: "+msg.err.Error(), true
		}
		return m.read(false)
	case tea.KeyPressMsg:
		return m.onKey(msg)
	}
	return m, nil
}

// read starts one status read; a chained one schedules the next.
func (m Model) read(chained bool) (Model, tea.Cmd) {
	m.loading = true
	ctx, src, gen := m.ctx, m.src, m.gen
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, statusTimeout)
		defer cancel()
		s, err := src.Status(ctx)
		return statusMsg{gen: gen, chained: chained, status: s, err: err}
	}
}

func (m Model) onStatus(msg statusMsg) (tui.Panel, tea.Cmd) {
	m.loading = false
	if msg.err == nil {
		m.status, m.loaded, m.readAt, m.err = msg.status, true, m.now(), nil
	} else {
		m.err = msg.err
	}
	if !msg.chained || !m.active || msg.gen != m.gen {
		return m, nil
	}
	gen := m.gen
	return m, tui.Tick(m.ctx, m.every, func(time.Time) tea.Msg { return tickMsg{gen: gen} })
}

func (m Model) onKey(k tea.KeyPressMsg) (tui.Panel, tea.Cmd) {
	if m.confirm != actionNone {
		switch {
		case key.Matches(k, m.keys.Yes):
			a := m.confirm
			m.confirm = actionNone
			return m.start(a)
		case key.Matches(k, m.keys.No):
			m.confirm = actionNone
		}
		return m, nil
	}
	switch {
	case key.Matches(k, m.keys.Refresh):
		if !m.loading {
			return m.read(false)
		}
	case key.Matches(k, m.keys.Up):
		m.ask(actionUp)
	case key.Matches(k, m.keys.Down):
		m.ask(actionDown)
	case key.Matches(k, m.keys.ScrollUp):
		m.offset = max(m.offset-1, 0)
	case key.Matches(k, m.keys.ScrollDown):
		m.offset = min(m.offset+1, m.maxOffset())
	}
	return m, nil
}

// ask asks to confirm an action, unless the last status says there is no
// point.
func (m *Model) ask(a action) {
	if m.running != actionNone {
		return
	}
	switch {
	case errors.Is(m.err, vpn.ErrNotJoined):
		m.note, m.noteBad = "this machine has not joined a network yet: devenv vpn join first", true
	case !m.loaded:
		m.note, m.noteBad = "the vpn status is unknown; R reads it again", true
	case a == actionUp && m.status.Up:
		m.note, m.noteBad = "the vpn is already up", false
	case a == actionDown && !m.status.Up:
		m.note, m.noteBad = "the vpn is not up", false
	default:
		m.confirm, m.note = a, ""
	}
}

// start runs vpn up or down.
func (m Model) start(a action) (tui.Panel, tea.Cmd) {
	m.running, m.note, m.noteBad = a, "", false
	ctx, src := m.ctx, m.src
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, actionTimeout)
		defer cancel()
		var err error
		if a == actionUp {
			err = src.Up(ctx)
		} else {
			err = src.Down(ctx)
		}
		return actionDoneMsg{action: a, err: err}
	}
}
