package accessview

import "charm.land/bubbles/v2/key"

// keyMap is the panel's keys.
type keyMap struct {
	Up, Down, Refresh, New, Approve, Deny, Revoke key.Binding
	Yes, No                                       key.Binding
	Send, Cancel, NextField, PrevField, Pick      key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		Up:        key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:      key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Refresh:   key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "refresh")),
		New:       key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "request access")),
		Approve:   key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "approve")),
		Deny:      key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "deny")),
		Revoke:    key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "revoke/withdraw")),
		Yes:       key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "confirm")),
		No:        key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n/esc", "cancel")),
		Send:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next/send")),
		Cancel:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		NextField: key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab/↓", "next field")),
		PrevField: key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab/↑", "previous field")),
		Pick:      key.NewBinding(key.WithKeys("left", "right"), key.WithHelp("←/→", "target")),
	}
}

// ShortHelp lists the keys of what the panel is doing now.
func (m Model) ShortHelp() []key.Binding {
	switch m.mode {
	case confirming:
		return []key.Binding{m.keys.Yes, m.keys.No}
	case denying:
		return []key.Binding{m.keys.Send, m.keys.Cancel}
	case requesting:
		return []key.Binding{m.keys.Send, m.keys.NextField, m.keys.Pick, m.keys.Cancel}
	}
	if m.approver {
		return []key.Binding{m.keys.New, m.keys.Approve, m.keys.Deny, m.keys.Revoke, m.keys.Refresh}
	}
	return []key.Binding{m.keys.New, m.keys.Revoke, m.keys.Refresh}
}

// FullHelp lists every key of the panel.
func (m Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{m.keys.Up, m.keys.Down, m.keys.Refresh},
		{m.keys.New, m.keys.Approve, m.keys.Deny, m.keys.Revoke},
		{m.keys.Yes, m.keys.No},
		{m.keys.Send, m.keys.NextField, m.keys.PrevField, m.keys.Pick, m.keys.Cancel},
	}
}
