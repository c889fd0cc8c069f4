package tui

import (
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// key handles a key press: a pending question first, then a focused text
// field, then the global keys, the actions and the active tab's keys.
func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if msg.String() == "ctrl+c" {
		return tea.Quit
	}
	if m.confirm != nil {
		a := *m.confirm
		m.confirm = nil
		if key.Matches(msg, keyYes) {
			return m.start(a)
		}
		m.setStatus(a.String()+": cancelled", false)
		return nil
	}
	if m.capturing() {
		return m.viewKey(msg)
	}
	g := m.global
	switch {
	case key.Matches(msg, g.Quit):
		return tea.Quit
	case key.Matches(msg, g.Help):
		m.help.ShowAll = !m.help.ShowAll
		return nil
	case key.Matches(msg, g.NextTab):
		return m.setTab((m.tab + 1) % m.tabs())
	case key.Matches(msg, g.PrevTab):
		return m.setTab((m.tab + m.tabs() - 1) % m.tabs())
	case key.Matches(msg, g.Tab):
		if n := int(msg.Code - '1'); n < m.tabs() {
			return m.setTab(n)
		}
		return nil
	}
	if m.tab == tabServices || m.tab == tabLogs {
		if cmd, ok := m.actionKey(msg); ok {
			return cmd
		}
	}
	return m.viewKey(msg)
}

// capturing reports that a text field has the focus and takes every key.
func (m *Model) capturing() bool {
	if p := m.panel(); p != nil {
		return p.Capturing()
	}
	return (m.tab == tabServices && m.svc.filtering) || (m.tab == tabLogs && m.logs.searching)
}

// viewKey gives a key to the active tab.
func (m *Model) viewKey(msg tea.KeyPressMsg) tea.Cmd {
	switch m.tab {
	case tabServices:
		if key.Matches(msg, m.svc.keys.Logs) && !m.svc.filtering {
			if r, ok := m.svc.current(); ok {
				return tea.Batch(m.followLogs(r.Service), m.setTab(tabLogs))
			}
			return nil
		}
		cmd, _ := m.svc.update(msg)
		return cmd
	case tabLogs:
		if key.Matches(msg, m.logs.keys.Back) && !m.logs.searching {
			return m.setTab(tabServices)
		}
		cmd, _ := m.logs.update(msg)
		return cmd
	}
	return m.panelKey(msg)
}

func (m *Model) panelKey(msg tea.KeyPressMsg) tea.Cmd {
	i := m.tab - tabPanels
	var cmd tea.Cmd
	m.panels[i], cmd = m.panels[i].Update(msg)
	return cmd
}

// panel is the active panel, or nil on the root's own tabs.
func (m *Model) panel() Panel {
	if m.tab >= tabPanels {
		return m.panels[m.tab-tabPanels]
	}
	return nil
}

func (m *Model) tabs() int { return tabPanels + len(m.panels) }

// setTab shows tab i, telling panels they became visible or hidden, and
// runs the stats sampling only while the services tab is visible.
func (m *Model) setTab(i int) tea.Cmd {
	if i == m.tab {
		return nil
	}
	var cmds []tea.Cmd
	if p := m.panel(); p != nil {
		var cmd tea.Cmd
		m.panels[m.tab-tabPanels], cmd = p.SetActive(false)
		cmds = append(cmds, cmd)
	}
	m.tab = i
	m.clockDue = time.Time{}
	if i == tabLogs {
		cmds = append(cmds, m.followSelected())
	}
	if m.panel() != nil {
		m.layout() // the panel gets its size before it draws
		var cmd tea.Cmd
		// Panels may be values: activate the one layout just sized.
		m.panels[i-tabPanels], cmd = m.panel().SetActive(true)
		cmds = append(cmds, cmd)
	}
	cmds = append(cmds, m.startStats())
	return tea.Batch(cmds...)
}

// followSelected has the logs tab show the service selected on the
// services tab, however the tab was reached (enter, l, 2, tab): a log of
// another service is replaced, the same service's is left as it is.
func (m *Model) followSelected() tea.Cmd {
	r, ok := m.svc.current()
	if !ok || r.Service == m.logs.service {
		return nil
	}
	return m.followLogs(r.Service)
}

// followLogs shows service's log on the logs tab, following it.
func (m *Model) followLogs(service string) tea.Cmd {
	if m.logs.service == service && m.logs.fol != nil {
		return nil
	}
	if m.logs.fol != nil {
		m.logs.fol.stop()
	}
	m.logs.service, m.logs.ended = service, ""
	m.logs.scroll, m.logs.paused, m.logs.unseen, m.logs.match = 0, false, 0, -1
	var since time.Time
	if r := m.logs.ring(); len(r.entries) > 0 {
		since = r.entries[len(r.entries)-1].Time.Add(time.Nanosecond)
	}
	m.logs.fol = follow(m.rt.ctx, m.opts.Engine, m.opts.Project, service, since, m.opts.LogLines)
	return m.logs.fol.next()
}

func (m *Model) onLogBatch(msg logBatchMsg) tea.Cmd {
	if msg.f != m.logs.fol {
		return nil // a follow that was replaced
	}
	m.logs.append(msg.entries)
	if !msg.ended {
		return msg.f.next()
	}
	m.logs.fol = nil
	if msg.err != nil {
		m.logs.ended = msg.err.Error()
	} else {
		m.logs.ended = "the log ended"
	}
	return nil
}

// actionKey starts (or asks about) an action on the selected service.
func (m *Model) actionKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := m.acts
	service := m.target()
	var a action
	switch {
	case key.Matches(msg, k.Up):
		a = action{verb: "up"}
	case key.Matches(msg, k.Down):
		a = action{verb: "down", confirm: true}
	case key.Matches(msg, k.Restart):
		a = action{verb: "restart", service: service, confirm: true}
	case key.Matches(msg, k.Stop):
		a = action{verb: "stop", service: service, confirm: true}
	case key.Matches(msg, k.Start):
		a = action{verb: "start", service: service}
	case key.Matches(msg, k.Pull):
		a = action{verb: "pull", service: service}
	case key.Matches(msg, k.Exec):
		if service == "" {
			return nil, true
		}
		return m.shell(service), true
	case key.Matches(msg, k.Open):
		return m.openSelected(), true
	default:
		return nil, false
	}
	if a.verb != "up" && a.verb != "down" && service == "" {
		return nil, true
	}
	if a.confirm {
		m.confirm = &a
		return nil, true
	}
	return m.start(a), true
}

// target is the service the actions apply to: the log's on the logs tab,
// else the selected row's.
func (m *Model) target() string {
	if m.tab == tabLogs {
		return m.logs.service
	}
	if r, ok := m.svc.current(); ok {
		return r.Service
	}
	return ""
}

func (m *Model) start(a action) tea.Cmd {
	if m.busy != nil {
		m.setStatus(fmt.Sprintf("%s is still running; wait for it", m.busy), true)
		return nil
	}
	m.busy, m.progress = &a, nil
	m.setStatus("", false)
	return m.run(a)
}

func (m *Model) openSelected() tea.Cmd {
	service := m.target()
	for _, r := range m.svc.rows {
		if r.Service == service && r.url() != "" {
			return m.open(r.url())
		}
	}
	if service != "" {
		m.setStatus(service+" publishes no TCP port", true)
	}
	return nil
}
