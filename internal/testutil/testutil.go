// Package testutil holds what tests across the tree share: waiting for
// something to happen without sleeping for it, and limits that stretch
// on a slow machine.
//
// A test waits on an event it can observe (a channel, a callback, a
// state it polls) and never on the passage of time. Where it has to poll,
// it uses Eventually, whose limit only bounds how long a broken test
// takes to fail: it is generous (30 s), and DEVENV_TEST_TIMEOUT_SCALE
// multiplies it on a machine slower than the ones the tests were written on.
package testutil

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// DefaultTimeout is how long Eventually waits before it fails, unscaled.
const DefaultTimeout = 30 * time.Second

// Scale is the factor DEVENV_TEST_TIMEOUT_SCALE sets (at least 1).
func Scale() float64 {
	v, err := strconv.ParseFloat(os.Getenv("DEVENV_TEST_TIMEOUT_SCALE"), 64)
	if err != nil || v < 1 {
		return 1
	}
	return v
}

// Scaled is d multiplied by Scale: use it for every limit a test sets on
// how long something may take.
func Scaled(d time.Duration) time.Duration { return time.Duration(float64(d) * Scale()) }

// Timeout is the scaled DefaultTimeout.
func Timeout() time.Duration { return Scaled(DefaultTimeout) }

// Option changes how Eventually waits.
type Option func(*options)

type options struct{ limit time.Duration }

// Within sets the limit Eventually waits for (scaled); use it only where
// the limit is what the test checks.
func Within(d time.Duration) Option { return func(o *options) { o.limit = Scaled(d) } }

// Eventually calls cond until it returns true, and fails t, saying what
// it waited for, if it has not by the limit (Timeout unless Within says
// otherwise). It polls at 1 ms at first and backs off to 100 ms.
func Eventually(t testing.TB, what string, cond func() bool, opts ...Option) {
	t.Helper()
	EventuallyNoError(t, what, func() error {
		if cond() {
			return nil
		}
		return fmt.Errorf("not yet")
	}, opts...)
}

// EventuallyNoError calls f until it returns nil, and fails t with the
// last error if it has not by the limit. It returns how long it took.
func EventuallyNoError(t testing.TB, what string, f func() error, opts ...Option) time.Duration {
	t.Helper()
	o := options{limit: Timeout()}
	for _, opt := range opts {
		opt(&o)
	}
	start := time.Now()
	deadline := start.Add(o.limit)
	pause := time.Millisecond
	for {
		err := f()
		if err == nil {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s: %v", o.limit, what, err)
			return time.Since(start)
		}
		timer := time.NewTimer(pause)
		<-timer.C
		if pause *= 2; pause > 100*time.Millisecond {
			pause = 100 * time.Millisecond
		}
	}
}

// Receive returns the next value from c, failing t if none arrives by
// the limit (Timeout unless Within says otherwise) or c is closed.
func Receive[T any](t testing.TB, what string, c <-chan T, opts ...Option) T {
	t.Helper()
	o := options{limit: Timeout()}
	for _, opt := range opts {
		opt(&o)
	}
	timer := time.NewTimer(o.limit)
	defer timer.Stop()
	select {
	case v, ok := <-c:
		if !ok {
			t.Fatalf("waiting for %s: channel closed", what)
		}
		return v
	case <-timer.C:
		t.Fatalf("waited %s for %s", o.limit, what)
	}
	var zero T
	return zero
}
