package accessview

import (
	"context"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/devenv-dev/devenv/tui"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

func (m Model) onKey(k tea.KeyPressMsg) (tui.Panel, tea.Cmd) {
	switch m.mode {
	case confirming:
		return m.confirmKey(k)
	case denying:
		return m.denyKey(k)
	case requesting:
		return m.formKey(k)
	}
	return m.browseKey(k)
}

func (m Model) browseKey(k tea.KeyPressMsg) (tui.Panel, tea.Cmd) {
	switch {
	case key.Matches(k, m.keys.Refresh):
		if !m.loading {
			return m.load(false)
		}
	case key.Matches(k, m.keys.Up):
		m.move(-1)
	case key.Matches(k, m.keys.Down):
		m.move(1)
	case key.Matches(k, m.keys.New):
		return m.openForm()
	case key.Matches(k, m.keys.Approve), key.Matches(k, m.keys.Deny):
		return m.decide(key.Matches(k, m.keys.Approve))
	case key.Matches(k, m.keys.Revoke):
		r, ok := m.selectedMine()
		if !ok || !live(r, m.now()) {
			m.note, m.noteBad = "x withdraws a pending request of yours or cuts a grant of yours: select one with j/k", true
			return m, nil
		}
		m.mode, m.asked, m.note = confirming, decision{verb: "revoke", req: r}, ""
	}
	return m, nil
}

// decide starts approving (y/n) or denying (a reason) the selected
// pending request.
func (m Model) decide(approve bool) (tui.Panel, tea.Cmd) {
	r, ok := m.selectedPending()
	if !ok {
		m.note, m.noteBad = "a and d decide on a request under TO APPROVE: select one with j/k", true
		if !m.approver {
			m.note = "the hub lists no requests for you to decide on: approving needs the approver role"
		}
		return m, nil
	}
	m.note = ""
	if approve {
		m.mode, m.asked = confirming, decision{verb: "approve", req: r}
		return m, nil
	}
	m.mode, m.asked = denying, decision{verb: "deny", req: r}
	m.reason = newInput("why (the requester sees it)", reasonWidth(m.width, r))
	return m, m.reason.Focus()
}

// reasonWidth is what is left of a line for the reason to deny r.
func reasonWidth(width int, r hubapi.Request) int {
	return max(width-ansi.StringWidth(denyPrompt(r))-1, 10)
}

// newInput is a text field with a steady cursor: no blinking ticks.
func newInput(placeholder string, width int) textinput.Model {
	in := tui.TextInput("", placeholder)
	in.SetWidth(width)
	in.CharLimit = 500
	return in
}

func (m Model) confirmKey(k tea.KeyPressMsg) (tui.Panel, tea.Cmd) {
	switch {
	case key.Matches(k, m.keys.Yes):
		m.mode = browsing
		return m.run(m.asked)
	case key.Matches(k, m.keys.No):
		m.mode = browsing
	}
	return m, nil
}

func (m Model) denyKey(k tea.KeyPressMsg) (tui.Panel, tea.Cmd) {
	if m.running {
		return m, nil
	}
	switch {
	case key.Matches(k, m.keys.Cancel):
		m.mode, m.note = browsing, ""
		return m, nil
	case key.Matches(k, m.keys.Send):
		if strings.TrimSpace(m.reason.Value()) == "" {
			m.note, m.noteBad = "a reason is required: the requester sees it", true
			return m, nil
		}
		return m.run(m.asked)
	}
	var cmd tea.Cmd
	m.reason, cmd = m.reason.Update(k)
	return m, cmd
}

// run makes one decision call.
func (m Model) run(d decision) (tui.Panel, tea.Cmd) {
	m.running, m.note, m.noteBad = true, "", false
	ctx, src, reason := m.ctx, m.src, strings.TrimSpace(m.reason.Value())
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		var r hubapi.Request
		var err error
		switch d.verb {
		case "approve":
			r, err = src.Approve(ctx, hubapi.ApproveRequest{ID: d.req.ID})
		case "deny":
			r, err = src.Deny(ctx, hubapi.DenyRequest{ID: d.req.ID, Reason: reason})
		default:
			r, err = src.RevokeGrant(ctx, d.req.ID)
		}
		if err != nil {
			r = d.req
		}
		return doneMsg{verb: d.verb, req: r, err: err}
	}
}

// onDone reports an action and reads the lists again. A failed denial or
// request keeps its field or form, so nothing typed is lost.
func (m Model) onDone(msg doneMsg) (tui.Panel, tea.Cmd) {
	m.running = false
	switch {
	case msg.err != nil && msg.verb == "request":
		m.form.problem = msg.err.Error()
		return m, nil
	case msg.err != nil:
		m.note, m.noteBad = doing(msg.verb)+" "+shortID(msg.req.ID)+": "+msg.err.Error(), true
		return m, nil
	}
	m.note, m.noteBad = doneNote(msg.verb, msg.req, m.now()), false
	m.mode = browsing
	if msg.verb == "request" {
		m.selID = msg.req.ID
	}
	return m.load(false) // even if a read is in flight: it may have started before the action
}

func doing(verb string) string {
	switch verb {
	case "approve":
		return "approving"
	case "deny":
		return "denying"
	}
	return "revoking"
}

// move moves the selection by delta rows.
func (m *Model) move(delta int) {
	n := len(m.mine) + len(m.pending)
	if n == 0 {
		return
	}
	m.cursor = min(max(m.cursor+delta, 0), n-1)
	m.selID = m.rowAt(m.cursor).ID
	m.follow()
}

// reselect keeps the selection on the same request after a read.
func (m *Model) reselect() {
	n := len(m.mine) + len(m.pending)
	for i := range n {
		if r := m.rowAt(i); r.ID == m.selID && m.selID != "" {
			m.cursor = i
			m.follow()
			return
		}
	}
	m.cursor = min(m.cursor, max(n-1, 0))
	if n > 0 {
		m.selID = m.rowAt(m.cursor).ID
	}
	m.follow()
}

func (m Model) rowAt(i int) hubapi.Request {
	if i < len(m.mine) {
		return m.mine[i]
	}
	return m.pending[i-len(m.mine)]
}

func (m Model) selectedMine() (hubapi.Request, bool) {
	if m.cursor < len(m.mine) {
		return m.mine[m.cursor], true
	}
	return hubapi.Request{}, false
}

func (m Model) selectedPending() (hubapi.Request, bool) {
	if i := m.cursor - len(m.mine); i >= 0 && i < len(m.pending) {
		return m.pending[i], true
	}
	return hubapi.Request{}, false
}
