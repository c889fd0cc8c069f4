package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// valuePanel is a panel kept by value, as the VPN and access panels are:
// every method returns the changed copy, so the root must keep each one.
type valuePanel struct {
	w, h   int
	active bool
}

func (p valuePanel) Title() string                         { return "Value" }
func (p valuePanel) Init(context.Context) (Panel, tea.Cmd) { return p, nil }
func (p valuePanel) Update(tea.Msg) (Panel, tea.Cmd)       { return p, nil }
func (p valuePanel) SetSize(w, h int) Panel                { p.w, p.h = w, h; return p }
func (p valuePanel) SetActive(a bool) (Panel, tea.Cmd)     { p.active = a; return p, nil }
func (p valuePanel) Capturing() bool                       { return false }
func (p valuePanel) ShortHelp() []key.Binding              { return nil }
func (p valuePanel) FullHelp() [][]key.Binding             { return nil }
func (p valuePanel) View() string {
	return fmt.Sprintf("value panel %dx%d active=%v", p.w, p.h, p.active)
}

// TestValuePanelKeepsItsSize: the first switch to a panel both sizes and
// activates it; neither may undo the other.
func TestValuePanelKeepsItsSize(t *testing.T) {
	p := parseProject(t, demoYAML)
	h := newHarness(t, p, newFake(p), func(o *Options) { o.Panels = []Panel{valuePanel{}} }).loaded()
	h.press("3")
	v := h.view()
	if !strings.Contains(v, "value panel 80x") || !strings.Contains(v, "active=true") || strings.Contains(v, "80x0") {
		t.Fatalf("the panel lost its size or activation on the first switch:\n%s", v)
	}
}
