package accessview

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// fire runs a command and returns its messages, batches opened.
func fire(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, fire(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

func countMsgs[T any](msgs []tea.Msg) int {
	n := 0
	for _, m := range msgs {
		if _, ok := m.(T); ok {
			n++
		}
	}
	return n
}

// The countdown ticks every second while a grant's countdown shows and the
// panel is active; a tick of an earlier activation or of a hidden panel
// does nothing.
func TestCountdownTicks(t *testing.T) {
	m := newTestModel(t, sampleHub(), 100, 30)
	if !m.ticking {
		t.Fatal("no countdown tick with a live grant on screen")
	}
	m = at(m, time.Second)
	m, cmd := update(m, countdownMsg{gen: m.gen})
	mustContain(t, ansi.Strip(m.View()), "12m03s left")
	if msgs := fire(cmd); countMsgs[countdownMsg](msgs) != 1 || countMsgs[listsMsg](msgs) != 0 {
		t.Errorf("a countdown tick led to %#v, want one more tick and no read", msgs)
	}
	if _, cmd := update(m, countdownMsg{gen: m.gen - 1}); cmd != nil {
		t.Error("a tick of an earlier activation ticks again")
	}
	p, _ := m.SetActive(false)
	if _, cmd := p.Update(countdownMsg{gen: m.gen}); cmd != nil {
		t.Error("a hidden panel ticks")
	}
}

func TestNoCountdownWithoutAGrant(t *testing.T) {
	f := sampleHub()
	f.mine = f.mine[1:] // the denied and the pending one
	m := newTestModel(t, f, 100, 30)
	if m.ticking {
		t.Error("the countdown ticks with no grant on screen")
	}
	p, cmd := m.SetActive(true)
	if n := countMsgs[countdownMsg](fire(cmd)); n != 0 || p.(Model).ticking {
		t.Errorf("becoming visible without a grant: %d countdown ticks", n)
	}
}

// When a grant's countdown runs out, the lists are read again once, and it
// shows as expired meanwhile.
func TestGrantEndReadsAgain(t *testing.T) {
	m := at(newTestModel(t, sampleHub(), 100, 30), 12*time.Minute+4*time.Second)
	m, cmd := update(m, countdownMsg{gen: m.gen})
	if n := countMsgs[listsMsg](fire(cmd)); n != 1 {
		t.Fatalf("the end of a grant read the lists %d times, want 1", n)
	}
	mustContain(t, ansi.Strip(m.View()), "a1b2c3d4  orders-api  expired  ended 0s ago")
	if m.ticking {
		t.Error("the countdown still ticks with no live grant")
	}
	m = at(m, 13*time.Minute)
	if _, cmd := update(m, countdownMsg{gen: m.gen}); countMsgs[listsMsg](fire(cmd)) != 0 {
		t.Error("the same end read the lists again")
	}
}

// The countdown fires when the soonest grant's remaining time turns a whole
// second, not a second after whenever the lists came.
func TestCountdownAlignsToTheSecond(t *testing.T) {
	f := sampleHub()
	f.mine[0].NotAfter = testClock.Add(10*time.Minute + 300*time.Millisecond)
	m := newPanel(t, f)
	m.now = func() time.Time { return testClock }
	var delays []time.Duration
	m.tick = func(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
		delays = append(delays, d)
		return func() tea.Msg { return fn(testClock) }
	}
	p, _ := m.SetSize(100, 30).SetActive(true)
	_, cmd := p.(Model).load(false)
	p.Update(cmd())
	if len(delays) != 1 || delays[0] != 305*time.Millisecond {
		t.Errorf("tick delays %v, want [305ms]", delays)
	}
}

// The lists are read on a tick only while the panel is active.
func TestListTicks(t *testing.T) {
	m := newTestModel(t, sampleHub(), 100, 30)
	p, cmd := m.SetActive(true) // a second activation
	msgs := fire(cmd)
	if countMsgs[listsMsg](msgs) != 1 {
		t.Fatalf("becoming visible: %#v", msgs)
	}
	var lists listsMsg
	for _, msg := range msgs {
		if l, ok := msg.(listsMsg); ok {
			lists = l
		}
	}
	p, cmd = p.Update(lists)
	msgs = fire(cmd)
	if countMsgs[listTickMsg](msgs) != 1 {
		t.Fatalf("a chained read scheduled %#v, want a list tick", msgs)
	}
	if _, cmd := p.Update(listTickMsg{gen: lists.gen}); countMsgs[listsMsg](fire(cmd)) != 1 {
		t.Error("a list tick while active reads nothing")
	}
	if _, cmd := p.Update(listTickMsg{gen: lists.gen - 1}); cmd != nil {
		t.Error("a list tick of an earlier activation reads")
	}
	hidden, _ := p.SetActive(false)
	if _, cmd := hidden.Update(listTickMsg{gen: lists.gen}); cmd != nil {
		t.Error("a list tick while hidden reads")
	}
	if _, cmd := hidden.Update(lists); cmd != nil {
		t.Errorf("a read finishing while hidden schedules %#v", fire(cmd))
	}
}

func TestFormats(t *testing.T) {
	now := testClock
	tests := []struct{ got, want string }{
		{shortID("0123456789abcdef"), "01234567"},
		{when(hubapi.Request{State: hubapi.StateLapsed, Created: now.Add(-time.Hour), Decided: now.Add(-45 * time.Minute)}, now), "45m00s ago"},
		{when(hubapi.Request{State: hubapi.StateExpired, NotAfter: now.Add(-time.Minute)}, now), "ended 1m00s ago"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
