package tui

import (
	"context"
	"io"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"go.uber.org/goleak"

	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/env/engine/enginetest"
	"github.com/devenv-dev/devenv/internal/testutil"
)

// watchedEngine is the fake engine, saying when the UI's long-lived calls
// begin: the event subscription and a log follow.
type watchedEngine struct {
	*enginetest.Fake
	subscribed chan struct{}
	following  chan struct{}
}

func (e *watchedEngine) Events(ctx context.Context, project string) (<-chan engine.Event, <-chan error) {
	events, errs := e.Fake.Events(ctx, project)
	e.subscribed <- struct{}{}
	return events, errs
}

func (e *watchedEngine) ContainerLogs(ctx context.Context, id string, opts engine.LogOptions) (<-chan engine.LogLine, <-chan error) {
	lines, errs := e.Fake.ContainerLogs(ctx, id, opts)
	e.following <- struct{}{}
	return lines, errs
}

// sampledStats is fakeStats saying when it took a sample.
type sampledStats struct {
	fakeStats
	sampled chan struct{}
}

func (s *sampledStats) ContainerStats(ctx context.Context, id string) (engine.Stats, error) {
	st, err := s.fakeStats.ContainerStats(ctx, id)
	select {
	case s.sampled <- struct{}{}:
	default:
	}
	return st, err
}

// Quitting ends everything the UI started: the engine bridge and its event
// subscription, the log follow, the stats loop and the ticks still pending
// (the next stats round is seconds away, the uptimes' redraw up to a
// minute).
func TestQuitLeavesNothingRunning(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	upAll(t, f, p)
	if err := f.WriteLog("demo-db", logLines("db line", 3)...); err != nil {
		t.Fatal(err)
	}
	before := goleak.IgnoreCurrent()
	eng := &watchedEngine{Fake: f, subscribed: make(chan struct{}, 8), following: make(chan struct{}, 8)}
	st := &sampledStats{sampled: make(chan struct{}, 1)}
	in, keys := io.Pipe()
	defer keys.Close()
	ended := make(chan error, 1)
	go func() {
		ended <- Run(t.Context(), Options{Project: p, Engine: eng, Stats: st}, in, io.Discard)
	}()
	testutil.Receive(t, "event subscription", eng.subscribed)
	testutil.Receive(t, "stats sample", st.sampled) // the rows are on screen; the next round is pending
	if _, err := io.WriteString(keys, "2"); err != nil {
		t.Fatal(err)
	}
	testutil.Receive(t, "log follow of the selected service", eng.following)
	if _, err := io.WriteString(keys, "q"); err != nil {
		t.Fatal(err)
	}
	if err := testutil.Receive(t, "end of the UI after q", ended); err != nil {
		t.Fatalf("the UI ended with %v", err)
	}
	keys.Close() // the terminal goes away too, as it does after a quit
	goleak.VerifyNone(t, before)
}

// A pending tick ends, with no message, when its context does.
func TestTickEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cmd := Tick(ctx, time.Hour, func(time.Time) tea.Msg { return clockMsg{} })
	msgs := make(chan tea.Msg, 1)
	go func() { msgs <- cmd() }()
	cancel()
	if msg := testutil.Receive(t, "end of the tick", msgs); msg != nil {
		t.Errorf("a cancelled tick sent %#v", msg)
	}
	fired := Tick(t.Context(), time.Millisecond, func(time.Time) tea.Msg { return clockMsg{gen: 7} })()
	if msg, ok := fired.(clockMsg); !ok || msg.gen != 7 {
		t.Errorf("a tick that fired sent %#v", fired)
	}
}
