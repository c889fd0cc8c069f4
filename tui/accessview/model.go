// Package accessview is the UI's access panel: the developer's own access
// requests and grants with a live countdown to each grant's end; for
// approvers, the requests waiting for their decision, approved or denied
// with a reason from the panel; and a short form that asks for access to a
// target. It calls the same library as devenv access.
package accessview

import (
	"context"
	"errors"
	"slices"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/devenv-dev/devenv/internal/format"
	"github.com/devenv-dev/devenv/tui"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
)

const (
	refreshEvery = 5 * time.Second  // lists, while the panel is visible
	callTimeout  = 15 * time.Second // one call to the hub
)

// mode is what keys do.
type mode int

const (
	browsing   mode = iota
	confirming      // y does asked
	denying         // typing the reason to deny asked
	requesting      // filling the request form
)

// decision is an action on one request.
type decision struct {
	verb string // approve, deny, revoke
	req  hubapi.Request
}

// Model is the access panel; it implements tui.Panel.
type Model struct {
	ctx   context.Context // the UI's, from Init: quitting cancels the calls in flight
	src   Source          // non-nil
	keys  keyMap
	now   func() time.Time
	every time.Duration                                        // between list reads while active
	tick  func(time.Duration, func(time.Time) tea.Msg) tea.Cmd // tui.Tick under ctx, from Init; tests fire at once

	width, height int
	active        bool
	gen           int  // counts activations; ticks and chained reads of an older one are dropped
	loading       bool // a list read is in flight
	ticking       bool // a countdown tick of gen is scheduled

	mine     []hubapi.Request // live ones first, then newest first
	pending  []hubapi.Request // others' requests waiting for this user's decision
	approver bool             // the hub listed pending requests (it refuses non-approvers)
	loaded   bool
	readAt   time.Time // when the lists were read
	endRead  time.Time // when a grant's end last had the lists read
	err      error     // the last read's failure; nil after a good read

	cursor int    // index into mine, then pending
	selID  string // the selected request, kept across reads
	offset int    // first body line shown

	mode    mode
	asked   decision        // confirming, denying: on which request
	running bool            // a decision or request is in flight
	reason  textinput.Model // the reason to deny, while denying
	form    form            // while requesting
	note    string          // the last action's outcome
	noteBad bool
}

var _ tui.Panel = Model{}

// New returns the panel on src.
func New(src Source) Model {
	return Model{src: src, keys: newKeyMap(), now: time.Now, every: refreshEvery}
}

// listsMsg is one read of both lists.
type listsMsg struct {
	gen        int
	chained    bool
	mine       []hubapi.Request
	pending    []hubapi.Request
	err        error // reading mine
	pendingErr error
}

type listTickMsg struct{ gen int }
type countdownMsg struct{ gen int }

// doneMsg is the end of an action or of the request form's call.
type doneMsg struct {
	verb string // approve, deny, revoke, request
	req  hubapi.Request
	err  error
}

// Title is the tab's name.
func (m Model) Title() string { return "Access" }

// Init keeps ctx for the panel's calls and reads the lists once.
func (m Model) Init(ctx context.Context) (tui.Panel, tea.Cmd) {
	m.ctx = ctx
	m.tick = func(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd { return tui.Tick(ctx, d, fn) }
	return m.load(false)
}

// SetSize gives the panel its size.
func (m Model) SetSize(width, height int) tui.Panel {
	m.width, m.height = width, height
	m.reason.SetWidth(reasonWidth(width, m.asked.req))
	m.form = m.form.sized(width)
	m.follow()
	return m
}

// SetActive reads the lists every few seconds and ticks the countdown
// while the panel is visible, and stops when it is hidden.
func (m Model) SetActive(active bool) (tui.Panel, tea.Cmd) {
	m.active = active
	m.ticking = false
	if !active {
		if m.mode == confirming {
			m.mode = browsing
		}
		return m, nil
	}
	m.gen++
	m, cmd := m.load(true)
	return m, tea.Batch(cmd, m.countdown())
}

// Capturing is true while a text field has the focus.
func (m Model) Capturing() bool { return m.mode == denying || m.mode == requesting }

// Update handles the panel's own messages and keys; it ignores the rest.
func (m Model) Update(msg tea.Msg) (tui.Panel, tea.Cmd) {
	switch msg := msg.(type) {
	case listsMsg:
		// What users typed is drawn, never interpreted: escape sequences
		// in a reason cannot move the cursor or recolour the panel.
		msg.mine, msg.pending = printable(msg.mine), printable(msg.pending)
		return m.onLists(msg)
	case listTickMsg:
		if !m.active || msg.gen != m.gen {
			return m, nil
		}
		return m.load(true)
	case countdownMsg:
		return m.onCountdown(msg)
	case targetsMsg:
		m.form = m.form.withTargets(msg)
		return m, nil
	case doneMsg:
		msg.req = msg.req.Printable()
		return m.onDone(msg)
	case tea.KeyPressMsg:
		return m.onKey(msg)
	}
	return m, nil
}

// load reads both lists; a chained read schedules the next.
func (m Model) load(chained bool) (Model, tea.Cmd) {
	m.loading = true
	ctx, src, gen := m.ctx, m.src, m.gen
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		msg := listsMsg{gen: gen, chained: chained}
		if msg.mine, msg.err = src.Requests(ctx, hubclient.RequestsMine); msg.err == nil {
			msg.pending, msg.pendingErr = src.Requests(ctx, hubclient.RequestsPending)
		}
		return msg
	}
}

func (m Model) onLists(msg listsMsg) (tui.Panel, tea.Cmd) {
	m.loading = false
	now := m.now()
	m.err = msg.err
	if msg.err == nil {
		m.mine, m.loaded, m.readAt = ordered(msg.mine, now), true, now
		switch {
		case msg.pendingErr == nil:
			m.pending, m.approver = msg.pending, true
		case errors.Is(msg.pendingErr, hubclient.ErrForbidden) || errors.Is(msg.pendingErr, hubclient.ErrNotApprover):
			m.pending, m.approver = nil, false
		default:
			m.err = msg.pendingErr
		}
	}
	m.reselect()
	cmd := m.countdown()
	if msg.chained && m.active && msg.gen == m.gen {
		gen := m.gen
		cmd = tea.Batch(cmd, m.tick(m.every, func(time.Time) tea.Msg { return listTickMsg{gen: gen} }))
	}
	return m, cmd
}

// ordered puts live requests (pending, or granted and not ended) first,
// then the rest, newest first in each.
func ordered(rs []hubapi.Request, now time.Time) []hubapi.Request {
	rs = slices.Clone(rs)
	rank := func(r hubapi.Request) int {
		if live(r, now) {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(rs, func(a, b hubapi.Request) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return b.Created.Compare(a.Created)
	})
	return rs
}

// live is a request that is waiting or a grant that has not ended.
func live(r hubapi.Request, now time.Time) bool {
	return r.State == hubapi.StatePending || granted(r, now)
}

// granted is a grant before its end: the countdown shows.
func granted(r hubapi.Request, now time.Time) bool {
	return r.StateAt(now) == hubapi.StateApproved
}

// countdown schedules the next countdown tick if one is due: while active
// and a grant's countdown shows. It fires when the soonest grant's
// remaining time turns a whole second.
func (m *Model) countdown() tea.Cmd {
	now := m.now()
	if !m.active || m.ticking {
		return nil
	}
	next := time.Duration(-1)
	for _, r := range m.mine {
		if granted(r, now) {
			d := r.NotAfter.Sub(now) % time.Second
			if next < 0 || d < next {
				next = d
			}
		}
	}
	if next < 0 {
		return nil
	}
	if next == 0 {
		next = time.Second
	}
	m.ticking = true
	gen := m.gen
	return m.tick(next+5*time.Millisecond, func(time.Time) tea.Msg { return countdownMsg{gen: gen} })
}

// onCountdown redraws (by being an update) and ticks again; a grant that
// ended since the last read has the lists read again.
func (m Model) onCountdown(msg countdownMsg) (tui.Panel, tea.Cmd) {
	if msg.gen != m.gen || !m.active {
		return m, nil
	}
	m.ticking = false
	cmd := m.countdown()
	now := m.now()
	for _, r := range m.mine {
		if r.State == hubapi.StateApproved && r.StateAt(now) == hubapi.StateExpired && m.readAt.Before(r.NotAfter) &&
			m.endRead.Before(r.NotAfter) && !m.loading {
			var load tea.Cmd
			m.endRead = now
			m, load = m.load(false)
			return m, tea.Batch(cmd, load)
		}
	}
	return m, cmd
}

// printable folds the whitespace of what users typed (the panel shows it on
// one line) and makes the rest hubapi.Printable.
func printable(rs []hubapi.Request) []hubapi.Request {
	for i := range rs {
		rs[i].Reason, rs[i].DenyReason = format.OneLine(rs[i].Reason, 0), format.OneLine(rs[i].DenyReason, 0)
		rs[i] = rs[i].Printable()
	}
	return rs
}
