package clocktest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/clock"
)

func TestFakeFiresInOrderWhenTheTimeComes(t *testing.T) {
	f := New(time.Unix(1000, 0))
	fired := make(chan string, 3)
	f.AfterFunc(3*time.Second, func() { fired <- "3s" })
	tm := f.NewTimer(time.Second)
	stopped := f.AfterFunc(2*time.Second, func() { fired <- "stopped" })
	if !stopped.Stop() {
		t.Fatal("Stop of a pending timer said it was not pending")
	}
	f.Advance(999 * time.Millisecond)
	select {
	case <-tm.C():
		t.Fatal("a timer fired early")
	default:
	}
	f.Advance(time.Millisecond)
	if got := <-tm.C(); !got.Equal(time.Unix(1001, 0)) {
		t.Errorf("timer sent %v", got)
	}
	f.Advance(10 * time.Second)
	if got := <-fired; got != "3s" {
		t.Errorf("fired %q", got)
	}
	if f.Timers() != 0 {
		t.Errorf("%d timers left", f.Timers())
	}
}

func TestWithDeadlineOnTheFakeClock(t *testing.T) {
	f := New(time.Unix(0, 0))
	cause := errors.New("expired")
	ctx, cancel := clock.WithDeadline(context.Background(), f, f.Now().Add(time.Minute), cause)
	defer cancel()
	if d, ok := ctx.Deadline(); !ok || !d.Equal(f.Now().Add(time.Minute)) {
		t.Errorf("Deadline %v %v", d, ok)
	}
	f.Advance(59 * time.Second)
	if ctx.Err() != nil {
		t.Fatal("ended before its deadline")
	}
	f.Advance(time.Second)
	<-ctx.Done()
	if !errors.Is(context.Cause(ctx), cause) {
		t.Errorf("cause %v", context.Cause(ctx))
	}
}

func TestWaitForTimers(t *testing.T) {
	f := New(time.Unix(0, 0))
	go f.NewTimer(time.Second)
	if !f.WaitForTimers(1, nil) {
		t.Fatal("gave up")
	}
	giveUp := make(chan struct{})
	close(giveUp)
	if f.WaitForTimers(2, giveUp) {
		t.Error("two timers, with one armed")
	}
}
