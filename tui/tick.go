package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"
)

// Tick is tea.Tick that ends with ctx: a tick still pending when the user
// quits (an uptime redraw a minute away, a panel's next refresh) ends then,
// with no message, instead of holding a goroutine until it fires.
func Tick(ctx context.Context, d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
	return func() tea.Msg {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case at := <-t.C:
			return fn(at)
		case <-ctx.Done():
			return nil
		}
	}
}
