package testutil

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a testing.TB that records a Fatalf instead of stopping
// the test that uses it.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = format
	_ = args
}

func TestEventuallyReturnsOnceTrue(t *testing.T) {
	n := 0
	r := &recorder{TB: t}
	Eventually(r, "three calls", func() bool { n++; return n == 3 })
	if r.failed != "" || n != 3 {
		t.Fatalf("failed=%q after %d calls, want success after 3", r.failed, n)
	}
}

func TestEventuallyFailsAtLimit(t *testing.T) {
	r := &recorder{TB: t}
	var last error
	EventuallyNoError(r, "never", func() error { last = errors.New("still no"); return last }, Within(5*time.Millisecond))
	if !strings.Contains(r.failed, "waited") {
		t.Fatalf("want a failure saying how long it waited, got %q", r.failed)
	}
}

func TestReceive(t *testing.T) {
	c := make(chan int, 1)
	c <- 7
	if got := Receive(t, "seven", c); got != 7 {
		t.Fatalf("got %d", got)
	}
	r := &recorder{TB: t}
	Receive(r, "nothing", make(chan int), Within(time.Millisecond))
	if r.failed == "" {
		t.Fatal("Receive on a silent channel did not fail")
	}
}

func TestScale(t *testing.T) {
	t.Setenv("DEVENV_TEST_TIMEOUT_SCALE", "3")
	if got := Scaled(time.Second); got != 3*time.Second {
		t.Fatalf("Scaled(1s) with scale 3 = %s", got)
	}
	t.Setenv("DEVENV_TEST_TIMEOUT_SCALE", "nonsense")
	if got := Scaled(time.Second); got != time.Second {
		t.Fatalf("Scaled(1s) with a bad scale = %s, want 1s", got)
	}
}
