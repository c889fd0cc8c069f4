package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// fakePanel records what the root gives it.
type fakePanel struct {
	log       *[]string
	capturing bool
	w, h      int
	active    bool
}

type panelTick struct{}

func (p *fakePanel) Title() string { return "Fake" }
func (p *fakePanel) Init(context.Context) (Panel, tea.Cmd) {
	*p.log = append(*p.log, "init")
	return p, nil
}
func (p *fakePanel) Update(msg tea.Msg) (Panel, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		*p.log = append(*p.log, "key "+msg.String())
		if msg.String() == "i" {
			p.capturing = true
		}
	case panelTick:
		*p.log = append(*p.log, "tick")
	}
	return p, nil
}
func (p *fakePanel) View() string {
	lines := make([]string, p.h)
	lines[0] = fmt.Sprintf("fake panel %dx%d", p.w, p.h)
	return strings.Join(lines, "\n")
}
func (p *fakePanel) SetSize(w, h int) Panel {
	p.w, p.h = w, h
	*p.log = append(*p.log, fmt.Sprintf("size %dx%d", w, h))
	return p
}
func (p *fakePanel) SetActive(active bool) (Panel, tea.Cmd) {
	p.active = active
	*p.log = append(*p.log, fmt.Sprintf("active %v", active))
	return p, nil
}
func (p *fakePanel) Capturing() bool { return p.capturing }

var fakePanelKey = key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "insert thing"))

func (p *fakePanel) ShortHelp() []key.Binding  { return []key.Binding{fakePanelKey} }
func (p *fakePanel) FullHelp() [][]key.Binding { return [][]key.Binding{{fakePanelKey}} }

func TestPanelRouting(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	var log []string
	fp := &fakePanel{log: &log}
	h := newHarness(t, p, f, func(o *Options) { o.Panels = []Panel{fp} }).loaded()
	if !strings.Contains(h.view(), "3 Fake") {
		t.Fatalf("no tab for the panel:\n%s", h.view())
	}
	h.press("j") // the services tab's key: not the hidden panel's
	h.update(panelTick{})
	h.press("3")
	if h.m.tab != tabPanels || !fp.active {
		t.Fatalf("3: tab %d, panel active %v", h.m.tab, fp.active)
	}
	if fp.w != 80 || fp.h < 15 {
		t.Errorf("panel size %dx%d", fp.w, fp.h)
	}
	if v := h.view(); !strings.Contains(v, "fake panel 80x") || !strings.Contains(v, "insert thing") {
		t.Errorf("the panel's view or help is missing:\n%s", v)
	}
	h.press("x") // not an action here: the panel's
	h.press("i") // the panel now captures keys
	h.press("q", "2")
	h.settle(50 * time.Millisecond) // a window for a quit that must not come
	if h.quit || h.m.tab != tabPanels {
		t.Fatalf("a capturing panel's keys were taken by the root (quit %v, tab %d)", h.quit, h.m.tab)
	}
	fp.capturing = false
	h.update(tea.WindowSizeMsg{Width: 100, Height: 30})
	h.press("tab") // wraps to services
	if h.m.tab != tabServices || fp.active {
		t.Errorf("tab: tab %d, panel active %v", h.m.tab, fp.active)
	}
	h.press("shift+tab")
	h.press("q")
	h.waitFor("q to quit from a panel that does not capture", func(*Model) bool { return h.quit })
	want := []string{"init", "tick", "size 80x21", "active true", "key x", "key i", "key q", "key 2", "size 100x27", "active false", "active true"}
	if strings.Join(log, ",") != strings.Join(want, ",") {
		t.Errorf("the panel saw\n%q\nwant\n%q", log, want)
	}
}
