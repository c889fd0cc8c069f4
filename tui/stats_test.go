package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/devenv-dev/devenv/env/engine"
)

// fakeStats answers samples in which each container uses half of a core.
type fakeStats struct {
	mu    sync.Mutex
	calls map[string]int // guarded by mu
	order []string       // guarded by mu
}

func (s *fakeStats) ContainerStats(ctx context.Context, id string) (engine.Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls == nil {
		s.calls = map[string]int{}
	}
	s.calls[id]++
	s.order = append(s.order, id)
	n := uint64(s.calls[id])
	return engine.Stats{CPUTotal: n * 5e8, SystemCPU: n * 2e9, OnlineCPUs: 2, Memory: 10 << 20}, nil
}

func (s *fakeStats) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.order)
}

func (s *fakeStats) asked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id := range s.calls {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func manyServices(n int) string {
	var b strings.Builder
	b.WriteString("name: demo\nservices:\n")
	for i := range n {
		fmt.Fprintf(&b, "  svc%02d:\n    image: img:%d\n", i, i)
	}
	return b.String()
}

func TestStatsOnlyForRowsOnScreenWhileVisible(t *testing.T) {
	p := parseProject(t, manyServices(8))
	f := newFake(p)
	upAll(t, f, p)
	st := &fakeStats{}
	h := newHarness(t, p, f, func(o *Options) {
		o.Stats = st
		o.StatsInterval = 200 * time.Millisecond
	})
	h.update(tea.WindowSizeMsg{Width: 80, Height: 10})
	h.loaded()
	h.waitFor("CPU of the rows on screen", func(m *Model) bool {
		return strings.Contains(m.text(), "50.0%")
	})
	var onScreen []string
	for _, r := range h.m.svc.onScreen() {
		onScreen = append(onScreen, r.ID)
	}
	slices.Sort(onScreen)
	if len(onScreen) >= 8 || !slices.Equal(st.asked(), onScreen) {
		t.Errorf("sampled %v, want only the %d rows on screen %v", st.asked(), len(onScreen), onScreen)
	}
	if l := screenLine(h.view(), "svc00"); !strings.Contains(l, "50.0%") || !strings.Contains(l, "10.0 MiB") {
		t.Errorf("svc00's row %q: want 50.0%% CPU and 10.0 MiB", l)
	}

	live := h.m.statsGen
	h.press("2") // the logs tab: the sampling loop ends with its next message
	if cmd := h.deliverUntil("the sampling loop's next message", ofStatsLoop(live)); cmd != nil {
		t.Error("the sampling loop went on while the services tab was hidden")
	}
	n := st.count()
	h.press("1")
	h.waitFor("sampling again", func(*Model) bool { return st.count() > n })
}

func TestNoStatsWhileTheEngineIsAway(t *testing.T) {
	p := parseProject(t, manyServices(2))
	f := newFake(p)
	upAll(t, f, p)
	st := &fakeStats{}
	h := newHarness(t, p, f, func(o *Options) {
		o.Stats = st
		o.StatsInterval = 100 * time.Millisecond
	}).loaded()
	h.waitFor("a sample", func(*Model) bool { return st.count() > 0 })
	live := h.m.statsGen
	f.SetUnreachable(true)
	f.BreakEvents(errors.New("gone"))
	// The first tick of the loop while the engine is away ends it.
	away := func(msg tea.Msg) bool {
		_, tick := msg.(statsTickMsg)
		return tick && ofStatsLoop(live)(msg) && h.m.engineErr != nil
	}
	if cmd := h.deliverUntil("a sampling tick while the engine is away", away); cmd != nil {
		t.Error("the sampling loop went on while the engine was away")
	}
	n := st.count()
	f.SetUnreachable(false)
	h.waitFor("sampling again", func(*Model) bool { return st.count() > n })
}

func TestIdleModelSchedulesOnlyTheUptimeTick(t *testing.T) {
	p := parseProject(t, manyServices(3))
	f := newFake(p)
	upAll(t, f, p)
	start := time.Now()
	now := start.Add(2 * time.Hour)
	h := newHarness(t, p, f, func(o *Options) { o.Now = func() time.Time { return now } }).loaded()
	// Up for two hours: the uptime changes once a minute, so the only
	// pending tick is due within a minute, and none sooner than needed.
	due := h.m.clockDue.Sub(now)
	if due <= 0 || due > time.Minute {
		t.Errorf("the uptime tick is due in %s", due)
	}
	// Nothing else is pending: no message arrives while idle.
	select {
	case msg := <-h.msgs:
		t.Errorf("an idle UI got %T", msg)
	case <-time.After(300 * time.Millisecond):
	}
}

// TestStatsSlowDownWhenIdle: left alone, the UI samples at the idle pace;
// the first key samples at once and brings back the active pace.
func TestStatsSlowDownWhenIdle(t *testing.T) {
	p := parseProject(t, manyServices(2))
	f := newFake(p)
	upAll(t, f, p)
	st := &fakeStats{}
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	h := newHarness(t, p, f, func(o *Options) {
		o.Stats = st
		o.Now = clock
		o.StatsInterval = 50 * time.Millisecond
		o.IdleStatsInterval = time.Hour
		o.IdleAfter = time.Minute
	})
	ticks := &statsTicks{next: h.m.tick}
	h.m.tick = ticks.tick
	h.loaded()
	h.waitFor("sampling at the active pace", func(*Model) bool { return st.count() >= 3*2 })
	if d := ticks.last(); d != 50*time.Millisecond {
		t.Fatalf("sampling every %s, want the active pace of 50ms", d)
	}

	mu.Lock()
	now = now.Add(2 * time.Minute) // nobody touched it
	mu.Unlock()
	live := h.m.statsGen
	round := func(msg tea.Msg) bool { _, ok := msg.(statsMsg); return ok && ofStatsLoop(live)(msg) }
	h.deliverUntil("a round once the UI is idle", round)
	if d := ticks.last(); d != time.Hour {
		t.Fatalf("the round after the UI went idle has the next in %s, want the idle pace of an hour", d)
	}
	n := st.count()
	h.press("j") // a key: a sample at once, then the active pace again
	h.waitFor("sampling again after a key", func(*Model) bool { return st.count() >= n+3*2 })
}

// ofStatsLoop matches the messages of the sampling loop gen: its ticks and
// its rounds' samples.
func ofStatsLoop(gen int) func(tea.Msg) bool {
	return func(msg tea.Msg) bool {
		switch msg := msg.(type) {
		case statsTickMsg:
			return msg.gen == gen
		case statsMsg:
			return msg.gen == gen
		}
		return false
	}
}
