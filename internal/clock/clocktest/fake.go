// Package clocktest is a clock for tests that moves only when told to.
package clocktest

import (
	"sort"
	"sync"
	"time"

	"github.com/devenv-dev/devenv/internal/clock"
)

// Fake is a clock.Clock whose time moves by Advance and Set alone. Timers
// fire, in the order of their deadlines, as the time reaches them.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*timer      // guarded by mu; pending
	changed chan struct{} // guarded by mu; closed and replaced when a timer is added
}

var _ clock.Clock = (*Fake)(nil)

// New is a Fake at now.
func New(now time.Time) *Fake { return &Fake{now: now, changed: make(chan struct{})} }

// Now is the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// AfterFunc runs fn in its own goroutine once the time reaches now+d.
func (f *Fake) AfterFunc(d time.Duration, fn func()) clock.Timer {
	return f.add(&timer{f: f, fn: fn}, d)
}

// NewTimer sends the time on its channel once the time reaches now+d.
func (f *Fake) NewTimer(d time.Duration) clock.Timer {
	return f.add(&timer{f: f, c: make(chan time.Time, 1)}, d)
}

func (f *Fake) add(t *timer, d time.Duration) *timer {
	f.mu.Lock()
	t.when = f.now.Add(d)
	f.timers = append(f.timers, t)
	f.signalLocked()
	f.mu.Unlock()
	if d <= 0 {
		f.Advance(0)
	}
	return t
}

func (f *Fake) signalLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// Advance moves the time forward by d, firing every timer it reaches.
func (f *Fake) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

// Set moves the time to t (never backwards), firing every timer it
// reaches, earliest first.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	if t.After(f.now) {
		f.now = t
	}
	sort.SliceStable(f.timers, func(i, j int) bool { return f.timers[i].when.Before(f.timers[j].when) })
	var due []*timer
	for len(f.timers) > 0 && !f.timers[0].when.After(f.now) {
		due = append(due, f.timers[0])
		f.timers = f.timers[1:]
	}
	now := f.now
	f.mu.Unlock()
	for _, tm := range due {
		tm.fire(now)
	}
}

// Timers is how many timers are pending.
func (f *Fake) Timers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

// WaitForTimers blocks until at least n timers are pending, or until
// giveUp is closed (false then): a test knows that the code it drives has
// armed its timers before it moves the time past them.
func (f *Fake) WaitForTimers(n int, giveUp <-chan struct{}) bool {
	for {
		f.mu.Lock()
		if len(f.timers) >= n {
			f.mu.Unlock()
			return true
		}
		ch := f.changed
		f.mu.Unlock()
		select {
		case <-ch:
		case <-giveUp:
			return false
		}
	}
}

type timer struct {
	f    *Fake
	when time.Time      // guarded by f.mu
	fn   func()         // AfterFunc
	c    chan time.Time // NewTimer
}

func (t *timer) fire(now time.Time) {
	if t.fn != nil {
		go t.fn()
		return
	}
	select {
	case t.c <- now:
	default:
	}
}

func (t *timer) C() <-chan time.Time { return t.c }

func (t *timer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	for i, p := range t.f.timers {
		if p == t {
			t.f.timers = append(t.f.timers[:i], t.f.timers[i+1:]...)
			return true
		}
	}
	return false
}

func (t *timer) Reset(d time.Duration) bool {
	pending := t.Stop()
	t.f.add(t, d)
	return pending
}
