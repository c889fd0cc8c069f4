package tui

import (
	"errors"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/devenv-dev/devenv/internal/testutil"
)

func TestWatchEngineReconnectsWithBackoff(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	msgs := make(chan tea.Msg, 100)
	go WatchEngine(t.Context(), f, "demo", func(m tea.Msg) { msgs <- m })
	next := func() tea.Msg {
		t.Helper()
		return testutil.Receive(t, "a message from the bridge", msgs)
	}
	if _, ok := next().(engineUpMsg); !ok {
		t.Fatal("the first message is not engineUpMsg")
	}
	upAll(t, f, p)
	for {
		ev, ok := next().(containerEventMsg)
		if !ok {
			t.Fatalf("want container events")
		}
		if ev.ev.Service == "worker" && ev.ev.Action == "start" {
			break
		}
	}
	f.SetUnreachable(true)
	f.BreakEvents(errors.New("connection reset"))
	var retries []time.Duration
	for len(retries) < 3 {
		switch m := next().(type) {
		case engineDownMsg:
			retries = append(retries, m.retry)
		case containerEventMsg:
		default:
			t.Fatalf("got %T while the engine is away", m)
		}
	}
	if retries[0] != firstRetry || retries[1] != 2*firstRetry || retries[2] != 4*firstRetry {
		t.Errorf("retries %v, want doubling from %s", retries, firstRetry)
	}
	f.SetUnreachable(false)
	for {
		m := next()
		if _, ok := m.(engineUpMsg); ok {
			break
		}
		if _, ok := m.(engineDownMsg); !ok {
			t.Fatalf("got %T before the engine came back", m)
		}
	}
}
