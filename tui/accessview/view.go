package accessview

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/devenv-dev/devenv/internal/format"
	"github.com/devenv-dev/devenv/tui"
	"github.com/devenv-dev/devenv/vpn"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
)

var (
	styleGood     = lipgloss.NewStyle().Foreground(lipgloss.Color("2"))
	styleWarn     = lipgloss.NewStyle().Foreground(lipgloss.Color("3"))
	styleBad      = lipgloss.NewStyle().Foreground(lipgloss.Color("1"))
	styleFaint    = lipgloss.NewStyle().Faint(true)
	styleHeader   = lipgloss.NewStyle().Bold(true)
	styleSelected = lipgloss.NewStyle().Reverse(true)
)

// View renders the panel into its size: the lists (or the form), scrolled
// to the selection, and under them what the selection is and the line
// for questions, the reason field and outcomes.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	body, _ := m.body()
	foot := m.footer()
	rows := max(m.height-len(foot), 0)
	off := min(m.offset, max(len(body)-rows, 0))
	body = body[off:min(off+rows, len(body))]
	for len(body) < rows {
		body = append(body, "")
	}
	return tui.Fit(append(body, foot...), m.width, m.height)
}

// follow scrolls so that the selected row shows.
func (m *Model) follow() {
	_, at := m.body()
	rows := max(m.height-len(m.footer()), 1)
	if at < 0 {
		return
	}
	if at < m.offset {
		m.offset = at
	}
	if at >= m.offset+rows {
		m.offset = at - rows + 1
	}
}

// body is every line above the footer, and the index of the selected
// row's line (-1 if none).
func (m Model) body() ([]string, int) {
	if m.mode == requesting {
		return m.form.lines(), -1
	}
	now := m.now()
	lines := m.problem()
	if !m.loaded {
		if m.err == nil {
			lines = append(lines, styleFaint.Render("reading access requests from the hub…"))
		}
		return lines, -1
	}
	at := -1
	lines = append(lines, styleHeader.Render(fmt.Sprintf("MY REQUESTS (%d)", len(m.mine))))
	if len(m.mine) == 0 {
		lines = append(lines, styleFaint.Render("  none: n asks for access to a target"))
	} else {
		rows := [][]string{{"ID", "TARGET", "STATE", "TIME", "REASON"}}
		for _, r := range m.mine {
			rows = append(rows, []string{shortID(r.ID), r.Target, m.stateCell(r), when(r, now), format.OneLine(r.Reason, 0)})
		}
		lines, at = m.appendTable(lines, rows, 0, at)
	}
	if !m.approver {
		return lines, at
	}
	lines = append(lines, "", styleHeader.Render(fmt.Sprintf("TO APPROVE (%d)", len(m.pending))))
	if len(m.pending) == 0 {
		return append(lines, styleFaint.Render("  nothing waits for your decision")), at
	}
	rows := [][]string{{"ID", "REQUESTER", "TARGET", "ASKS", "WAITING", "REASON"}}
	for _, r := range m.pending {
		rows = append(rows, []string{shortID(r.ID), r.Requester, r.Target, format.Duration(r.For), format.Age(now.Sub(r.Created)), format.OneLine(r.Reason, 0)})
	}
	return m.appendTable(lines, rows, len(m.mine), at)
}

func (m Model) stateCell(r hubapi.Request) string {
	s := r.StateAt(m.now())
	switch {
	case s == hubapi.StateApproved:
		return styleGood.Render(s)
	case s == hubapi.StatePending:
		return styleWarn.Render(s)
	case s == hubapi.StateDenied:
		return styleBad.Render(s)
	}
	return styleFaint.Render(s)
}

// appendTable adds a table whose rows (after the header) are rows first..
// of the selection, marking the selected one.
func (m Model) appendTable(lines []string, rows [][]string, first, at int) ([]string, int) {
	for i, l := range tui.Columns(rows, 8, 16, 16, 16, 12) {
		switch {
		case i == 0:
			l = "  " + styleHeader.Render(l)
		case first+i-1 == m.cursor:
			at = len(lines)
			l = styleSelected.Render(">") + " " + l
		default:
			l = "  " + l
		}
		lines = append(lines, l)
	}
	return lines, at
}

// problem says in place why the lists may be stale or missing.
func (m Model) problem() []string {
	var msg string
	switch {
	case m.err == nil:
		return nil
	case errors.Is(m.err, vpn.ErrNotJoined):
		return []string{styleFaint.Render("○") + " not joined: access works as the device this machine joined with",
			"next: devenv vpn join - (paste the invite), then devenv vpn up", ""}
	case errors.Is(m.err, hubclient.ErrUnreachable) && m.loaded:
		msg = fmt.Sprintf("hub unreachable (lists as of %s ago; retrying by itself): %v", format.Age(m.now().Sub(m.readAt)), m.err)
	case errors.Is(m.err, hubclient.ErrUnreachable):
		msg = fmt.Sprintf("hub unreachable (retrying by itself): %v", m.err)
	default:
		msg = fmt.Sprintf("cannot read the access requests (retrying by itself): %v", m.err)
	}
	var lines []string
	for l := range strings.SplitSeq(ansi.Wrap(msg, max(m.width, 20), " "), "\n") {
		lines = append(lines, styleBad.Render(l))
	}
	return append(lines, "")
}

// footer is what the selection is, and the line for a question, the
// reason field or an outcome.
func (m Model) footer() []string {
	var lines []string
	if m.mode == requesting {
		if m.running {
			return []string{styleFaint.Render("asking the hub…")}
		}
		return nil
	}
	if r, mine, ok := m.selected(); ok && m.loaded {
		d := ansi.Wrap(detail(r, mine, m.now()), max(m.width, 20), " ")
		for i, l := range strings.Split(d, "\n") {
			if i < 3 {
				lines = append(lines, styleFaint.Render(l))
			}
		}
	}
	if s := m.statusLine(); s != "" {
		lines = append(lines, s)
	}
	if m.mode == denying && m.noteBad && !m.running {
		lines = append(lines, styleBad.Render(m.note))
	}
	return lines
}

func denyPrompt(r hubapi.Request) string {
	return fmt.Sprintf("deny %s (%s, %s), reason: ", shortID(r.ID), r.Requester, r.Target)
}

func (m Model) selected() (hubapi.Request, bool, bool) {
	if r, ok := m.selectedMine(); ok {
		return r, true, true
	}
	r, ok := m.selectedPending()
	return r, false, ok
}

func (m Model) statusLine() string {
	r := m.asked.req
	switch {
	case m.running:
		return styleFaint.Render(doing(m.asked.verb) + " " + shortID(r.ID) + "…")
	case m.mode == denying:
		return denyPrompt(r) + m.reason.View()
	case m.mode == confirming && m.asked.verb == "approve":
		return styleWarn.Render(fmt.Sprintf("approve %s: %s on %s for %s? y confirms, n cancels", shortID(r.ID),
			r.Requester, r.Target, format.Duration(r.For)))
	case m.mode == confirming && r.State == hubapi.StatePending:
		return styleWarn.Render(fmt.Sprintf("withdraw request %s (%s)? y confirms, n cancels", shortID(r.ID), r.Target))
	case m.mode == confirming:
		return styleWarn.Render(fmt.Sprintf("cut grant %s (%s) now? y confirms, n cancels", shortID(r.ID), r.Target))
	case m.noteBad:
		return styleBad.Render(m.note)
	}
	return m.note
}
