package tui

import (
	"context"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// A Panel is one tab of the UI that lives in a package of its own (the VPN
// panel, the access panel). The root model owns the tab bar, the help bar and
// the window; a panel owns what is inside its tab.
//
// Message routing: key and mouse messages go to the active panel only; every
// other message (a panel's own results and ticks) goes to every panel, so a
// panel must ignore messages that are not its own. A panel polls or ticks only
// while it is active (SetActive), so a hidden panel costs nothing.
type Panel interface {
	// Title is the tab's name, e.g. "VPN".
	Title() string
	// Init gives the panel the UI's context and starts its first load (the
	// command may be nil). The root calls it once, before any message. The
	// context ends when the user quits: the panel makes every call under it,
	// so that quitting cancels the calls in flight instead of leaving them to
	// run out their timeouts.
	Init(ctx context.Context) (Panel, tea.Cmd)
	Update(msg tea.Msg) (Panel, tea.Cmd)
	// View renders the panel into exactly the size last given by SetSize.
	View() string
	// SetSize gives the panel the space below the tab bar and above the help bar.
	SetSize(width, height int) Panel
	// SetActive tells the panel it became visible (true) or hidden (false);
	// becoming visible may return a command that refreshes it.
	SetActive(active bool) (Panel, tea.Cmd)
	// Capturing reports that a text field has the focus: the root then passes
	// every key to the panel, including the ones it would handle itself (q, tab, digits).
	Capturing() bool
	// ShortHelp and FullHelp list the panel's keys for the help bar (bubbles/help).
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
}
