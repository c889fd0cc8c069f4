package accessview

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/devenv-dev/devenv/internal/format"
	"github.com/devenv-dev/devenv/tui"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// The request form's fields, in order.
const (
	fieldTarget = iota
	fieldReason
	fieldFor
	fieldCount
)

// form asks for access to a target: which, why, for how long.
type form struct {
	targets []hubapi.Target
	loaded  bool  // targets came back
	err     error // reading the targets
	pick    int   // the chosen target
	field   int   // the field with the focus
	reason  textinput.Model
	ttl     textinput.Model
	problem string // why the form cannot be sent as it is
}

// targetsMsg is the hub's list of targets for the form.
type targetsMsg struct {
	targets []hubapi.Target
	err     error
}

func newForm(width int) form {
	f := form{reason: newInput("why you need access, e.g. bug 1234", 40), ttl: newInput("e.g. 30m", 10)}
	f.ttl.SetValue("30m")
	return f.sized(width)
}

func (f form) sized(width int) form {
	f.reason.SetWidth(max(width-12, 10))
	return f
}

func (f form) withTargets(msg targetsMsg) form {
	f.loaded, f.err = true, msg.err
	if msg.err == nil {
		f.targets = msg.targets
		f.pick = min(f.pick, max(len(f.targets)-1, 0))
	}
	return f
}

// focus gives the focus to field i.
func (f *form) focus(i int) tea.Cmd {
	f.field = (i + fieldCount) % fieldCount
	f.reason.Blur()
	f.ttl.Blur()
	switch f.field {
	case fieldReason:
		return f.reason.Focus()
	case fieldFor:
		return f.ttl.Focus()
	}
	return nil
}

// ask is the request the form describes, or the field to fix and why.
func (f form) ask() (Ask, int, error) {
	if len(f.targets) == 0 {
		return Ask{}, fieldTarget, fmt.Errorf("no target to ask for")
	}
	t := f.targets[f.pick]
	reason := strings.TrimSpace(f.reason.Value())
	if reason == "" {
		return Ask{}, fieldReason, fmt.Errorf("a reason is required: approvers and the audit trail see it")
	}
	ttl, err := time.ParseDuration(strings.TrimSpace(f.ttl.Value()))
	if err != nil || ttl <= 0 {
		return Ask{}, fieldFor, fmt.Errorf("for %q: want a positive duration, e.g. 30m", f.ttl.Value())
	}
	if t.MaxTTL > 0 && ttl > t.MaxTTL {
		return Ask{}, fieldFor, fmt.Errorf("%s allows at most %s", t.Name, format.Duration(t.MaxTTL))
	}
	return Ask{Target: t.Name, For: ttl, Reason: reason}, 0, nil
}

// openForm shows the form and reads the targets it offers.
func (m Model) openForm() (tui.Panel, tea.Cmd) {
	m.mode, m.note, m.form = requesting, "", newForm(m.width)
	ctx, src := m.ctx, m.src
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		ts, err := src.Targets(ctx)
		return targetsMsg{targets: ts, err: err}
	}
}

func (m Model) formKey(k tea.KeyPressMsg) (tui.Panel, tea.Cmd) {
	if m.running {
		return m, nil
	}
	f := &m.form
	switch {
	case key.Matches(k, m.keys.Cancel):
		m.mode, m.note = browsing, ""
		return m, nil
	case key.Matches(k, m.keys.NextField):
		return m, f.focus(f.field + 1)
	case key.Matches(k, m.keys.PrevField):
		return m, f.focus(f.field - 1)
	case key.Matches(k, m.keys.Send) && f.field < fieldFor:
		return m, f.focus(f.field + 1)
	case key.Matches(k, m.keys.Send):
		return m.send()
	case f.field == fieldTarget && key.Matches(k, m.keys.Pick):
		if n := len(f.targets); n > 0 {
			step := 1
			if k.Code == tea.KeyLeft {
				step = -1
			}
			f.pick = (f.pick + step + n) % n
		}
		return m, nil
	}
	var cmd tea.Cmd
	switch f.field {
	case fieldReason:
		f.reason, cmd = f.reason.Update(k)
	case fieldFor:
		f.ttl, cmd = f.ttl.Update(k)
	}
	f.problem = ""
	return m, cmd
}

// send asks the hub for access, as devenv access request does.
func (m Model) send() (tui.Panel, tea.Cmd) {
	a, field, err := m.form.ask()
	if err != nil {
		m.form.problem = err.Error()
		return m, m.form.focus(field)
	}
	m.form.problem, m.running = "", true
	ctx, src := m.ctx, m.src
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		r, err := src.Request(ctx, a)
		if err != nil {
			r = hubapi.Request{Target: a.Target}
		}
		return doneMsg{verb: "request", req: r, err: err}
	}
}
