package vpnview

import "charm.land/bubbles/v2/key"

// keyMap is the panel's keys.
type keyMap struct {
	Refresh, Up, Down, ScrollUp, ScrollDown, Yes, No key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		Refresh:    key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "refresh")),
		Up:         key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "vpn up")),
		Down:       key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "vpn down")),
		ScrollUp:   key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "scroll up")),
		ScrollDown: key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "scroll down")),
		Yes:        key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "confirm")),
		No:         key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n/esc", "cancel")),
	}
}

// ShortHelp lists the keys that matter now: the answers while a
// confirmation is asked, else the actions.
func (m Model) ShortHelp() []key.Binding {
	if m.confirm != actionNone {
		return []key.Binding{m.keys.Yes, m.keys.No}
	}
	return []key.Binding{m.keys.Refresh, m.keys.Up, m.keys.Down}
}

// FullHelp lists every key of the panel.
func (m Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{m.keys.Refresh, m.keys.Up, m.keys.Down},
		{m.keys.ScrollUp, m.keys.ScrollDown},
		{m.keys.Yes, m.keys.No},
	}
}
