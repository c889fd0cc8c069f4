package tui

import "charm.land/bubbles/v2/key"

// The keys are documented in docs/ui.md; scripts drive the
// UI with them, so changing one is a change of interface.

// globalKeys work on every tab unless a text field has the focus.
type globalKeys struct {
	Quit, Help, NextTab, PrevTab, Tab key.Binding
}

func newGlobalKeys() globalKeys {
	return globalKeys{
		Quit:    key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Help:    key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "more keys")),
		NextTab: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next tab")),
		PrevTab: key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous tab")),
		Tab:     key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7", "8", "9"), key.WithHelp("1-9", "go to tab")),
	}
}

// actionKeys act on the selected service (or the environment) from the
// services and logs tabs.
type actionKeys struct {
	Up, Down, Restart, Stop, Start, Pull, Exec, Open key.Binding
}

func newActionKeys() actionKeys {
	return actionKeys{
		Up:      key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "up environment")),
		Down:    key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "down environment")),
		Restart: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "restart")),
		Stop:    key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "stop")),
		Start:   key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "start")),
		Pull:    key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "pull image")),
		Exec:    key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "shell")),
		Open:    key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "open port")),
	}
}

func (k actionKeys) list() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.Restart, k.Stop, k.Start, k.Pull, k.Exec, k.Open}
}

// tableKeys move through and reorder the services table.
type tableKeys struct {
	Up, Down, Top, Bottom, PageUp, PageDown, Logs, Filter, Sort, Clear key.Binding
}

func newTableKeys() tableKeys {
	return tableKeys{
		Up:       key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("↓/j", "down")),
		Top:      key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
		Bottom:   key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		Logs:     key.NewBinding(key.WithKeys("enter", "l"), key.WithHelp("enter/l", "logs")),
		Filter:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Sort:     key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "sort")),
		Clear:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
	}
}

// logKeys scroll and search a service's log.
type logKeys struct {
	Up, Down, Top, Bottom, PageUp, PageDown, Pause, Search, Next, Prev, Wrap, Times, Back key.Binding
}

func newLogKeys() logKeys {
	return logKeys{
		Up:       key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("↑/k", "scroll up")),
		Down:     key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("↓/j", "scroll down")),
		Top:      key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "oldest")),
		Bottom:   key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "follow")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		Pause:    key.NewBinding(key.WithKeys("space", "p"), key.WithHelp("space/p", "pause")),
		Search:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search")),
		Next:     key.NewBinding(key.WithKeys("n"), key.WithHelp("n/N", "next/previous match")),
		Prev:     key.NewBinding(key.WithKeys("N")),
		Wrap:     key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "wrap")),
		Times:    key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "timestamps")),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
	}
}

// keyYes answers a confirmation question; any other key cancels it.
var keyYes = key.NewBinding(key.WithKeys("y", "Y"))
