package tui

import (
	"fmt"
	"strings"

	"github.com/devenv-dev/devenv/internal/format"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// helpKeys is the help bar's content for the active tab.
type helpKeys struct {
	short []key.Binding
	full  [][]key.Binding
}

func (h helpKeys) ShortHelp() []key.Binding  { return h.short }
func (h helpKeys) FullHelp() [][]key.Binding { return h.full }

func (m *Model) helpKeys() helpKeys {
	g := m.global
	globals := []key.Binding{g.Quit, g.Help, g.NextTab, g.PrevTab, g.Tab}
	var view []key.Binding
	var short []key.Binding
	switch m.tab {
	case tabServices:
		view = m.svc.help()
		k := m.svc.keys
		short = []key.Binding{k.Logs, k.Filter, k.Sort, m.acts.Restart, m.acts.Up}
	case tabLogs:
		view = m.logs.help()
		k := m.logs.keys
		short = []key.Binding{k.Back, k.Pause, k.Search, k.Wrap, k.Times}
	default:
		p := m.panel()
		return helpKeys{
			short: append([]key.Binding{g.Quit, g.Help}, p.ShortHelp()...),
			full:  append(p.FullHelp(), globals),
		}
	}
	return helpKeys{
		short: append([]key.Binding{g.Quit, g.Help}, short...),
		full:  [][]key.Binding{view, m.acts.list(), globals},
	}
}

// layout gives each tab its size: the lines between the tab bar (and the
// engine banner) and the status line and help bar.
func (m *Model) layout() {
	m.help.SetWidth(m.width)
	w, h := m.width, m.bodyHeight()
	m.svc.width, m.svc.height = w, max(1, h-detailLines)
	m.svc.moveTo(m.svc.cursor)
	m.logs.width, m.logs.height = w, h
	if p := m.panel(); p != nil && m.panelSize[m.tab-tabPanels] != [2]int{w, h} {
		m.panelSize[m.tab-tabPanels] = [2]int{w, h}
		m.panels[m.tab-tabPanels] = p.SetSize(w, h)
	}
}

// detailLines are the lines under the table about the selected service.
const detailLines = 2

func (m *Model) bodyHeight() int {
	h := m.height - 2 // tab bar, status line
	if m.engineErr != nil {
		h--
	}
	h -= strings.Count(m.helpView(), "\n") + 1
	return max(h, 1)
}

// View draws the whole screen on the terminal's alternate screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.screen())
	v.AltScreen = true
	return v
}

// screen is the whole screen's text: exactly the window's lines.
func (m *Model) screen() string {
	if m.width == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(m.tabBar())
	b.WriteByte('\n')
	if m.engineErr != nil {
		b.WriteString(styleBanner.Render(FitLine(m.bannerText(), m.width)))
		b.WriteByte('\n')
	}
	switch m.tab {
	case tabServices:
		b.WriteString(m.svc.view(m.opts.Now()))
		b.WriteByte('\n')
		b.WriteString(m.detail())
	case tabLogs:
		b.WriteString(m.logs.view())
	default:
		b.WriteString(m.panel().View())
	}
	b.WriteByte('\n')
	b.WriteString(m.statusLine())
	b.WriteByte('\n')
	b.WriteString(m.helpView())
	return b.String()
}

// helpView is the help bar, each line cut to the window (bubbles/help may
// overrun a narrow one).
func (m *Model) helpView() string {
	lines := strings.Split(m.help.View(m.helpKeys()), "\n")
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, m.width, "")
	}
	return strings.Join(lines, "\n")
}

func (m *Model) bannerText() string {
	first, _, _ := strings.Cut(m.engineErr.Error(), "\n")
	return fmt.Sprintf("! Docker Engine unreachable, retrying (every %s at most): %s", m.retry, first)
}

func (m *Model) tabBar() string {
	var b strings.Builder
	b.WriteString(styleTitle.Render("devenv " + m.opts.Project.Name))
	for i := 0; i < m.tabs(); i++ {
		name := m.tabName(i)
		b.WriteString(" ")
		if i == m.tab {
			b.WriteString(styleTabActive.Render(fmt.Sprintf("[%d %s]", i+1, name)))
		} else {
			b.WriteString(styleTab.Render(fmt.Sprintf(" %d %s ", i+1, name)))
		}
	}
	return FitLine(b.String(), m.width)
}

func (m *Model) tabName(i int) string {
	switch i {
	case tabServices:
		return "Services"
	case tabLogs:
		if m.logs.service != "" {
			return "Logs: " + m.logs.service
		}
		return "Logs"
	}
	return m.panels[i-tabPanels].Title()
}

// detail is about the selected service: its container and image, and why
// it is not ready when it is not.
func (m *Model) detail() string {
	r, ok := m.svc.current()
	if !ok {
		return strings.Repeat("\n", detailLines-1)
	}
	first := "no container"
	if r.Container != "" {
		first = fmt.Sprintf("container %s (%s)", r.Container, r.ID)
	}
	first += " · image " + r.Image
	second := ""
	switch {
	case r.why() != "":
		second = "health " + format.OrDash(r.Health) + ": " + r.why()
	case r.url() != "":
		second = "open " + r.url() + " (o)"
	}
	return styleDim.Render(FitLine(first, m.width)) + "\n" + FitLine(second, m.width)
}

func (m *Model) statusLine() string {
	switch {
	case m.confirm != nil:
		return styleWarn.Render(FitLine(fmt.Sprintf("%s? (y/n)", capitalize(m.confirm.String())), m.width))
	case m.busy != nil:
		return FitLine(m.progressText(), m.width)
	case m.statusBad:
		return styleError.Render(FitLine(m.status, m.width))
	case m.status == "" && m.tab == tabServices:
		return styleDim.Render(FitLine(m.summary(), m.width))
	}
	return FitLine(m.status, m.width)
}

// summary counts the services by state.
func (m *Model) summary() string {
	running, total := 0, 0
	for _, r := range m.svc.rows {
		total++
		if r.State == "running" {
			running++
		}
	}
	s := fmt.Sprintf("%d of %d running · sorted by %s", running, total, m.svc.sort)
	if f := m.svc.filter.Value(); f != "" || m.svc.filtering {
		s = m.svc.filter.View() + " · " + s
	}
	return s
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
