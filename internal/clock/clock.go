// Package clock is the time the hub and the gateway read and wait on.
// Their deadlines are their security property, so tests must be able to
// move time forward at will instead of waiting for it: the code takes a
// Clock, Real in production and clocktest.Fake in tests.
package clock

import (
	"context"
	"time"
)

// Clock tells the time and runs timers.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine once d has passed.
	AfterFunc(d time.Duration, f func()) Timer
	// NewTimer sends the time on the timer's channel once d has passed.
	NewTimer(d time.Duration) Timer
}

// Timer is a pending event of a Clock.
type Timer interface {
	// C is the channel of a NewTimer timer; nil for AfterFunc.
	C() <-chan time.Time
	// Stop prevents the timer from firing; false if it had fired or stopped.
	Stop() bool
	// Reset makes the timer fire after d (again).
	Reset(d time.Duration) bool
}

// Real is the system's clock.
var Real Clock = realClock{}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) AfterFunc(d time.Duration, f func()) Timer {
	return realTimer{t: time.AfterFunc(d, f)}
}

func (realClock) NewTimer(d time.Duration) Timer { return realTimer{t: time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time        { return r.t.C }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }

// Or is c, or Real when c is nil.
func Or(c Clock) Clock {
	if c == nil {
		return Real
	}
	return c
}

// WithDeadline is context.WithDeadlineCause on c's time: the context ends
// with cause when c reaches d.
func WithDeadline(parent context.Context, c Clock, d time.Time, cause error) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	t := c.AfterFunc(d.Sub(c.Now()), func() { cancel(cause) })
	if pd, ok := parent.Deadline(); ok && pd.Before(d) {
		d = pd
	}
	return deadlineCtx{ctx, d}, func() {
		t.Stop()
		cancel(context.Canceled)
	}
}

// deadlineCtx reports the deadline it keeps on its clock's time.
type deadlineCtx struct {
	context.Context
	d time.Time
}

func (c deadlineCtx) Deadline() (time.Time, bool) { return c.d, true }

// Sleep waits for d on c, or until ctx ends; false when ctx ended first.
func Sleep(ctx context.Context, c Clock, d time.Duration) bool {
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-ctx.Done():
		return false
	}
}
