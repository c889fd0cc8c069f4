package tui

import "charm.land/lipgloss/v2"

// Styles. lipgloss drops colours under NO_COLOR and on terminals without
// them; the UI never relies on colour alone (the selected row has a marker,
// states are words).
var (
	styleTabActive = lipgloss.NewStyle().Bold(true).Reverse(true)
	styleTab       = lipgloss.NewStyle().Faint(true)
	styleTitle     = lipgloss.NewStyle().Bold(true)
	styleHeader    = lipgloss.NewStyle().Bold(true)
	styleSelected  = lipgloss.NewStyle().Reverse(true)
	styleBanner    = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("1"))
	styleDim       = lipgloss.NewStyle().Faint(true)
	styleError     = lipgloss.NewStyle().Foreground(lipgloss.Color("1"))
	styleWarn      = lipgloss.NewStyle().Foreground(lipgloss.Color("3"))
	styleMatch     = lipgloss.NewStyle().Reverse(true)
)
