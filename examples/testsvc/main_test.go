package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/testutil"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// start serves cfg on a port of its own until the test ends; done gets
// the exit code.
func start(t *testing.T, ctx context.Context, cfg config) (url string, done <-chan int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	codes := make(chan int, 1)
	go func() { codes <- serve(ctx, cfg, ln, discardLogger()) }()
	return "http://" + ln.Addr().String(), codes
}

func status(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitStatus polls url until it answers want.
func waitStatus(t *testing.T, url string, want int) {
	t.Helper()
	testutil.EventuallyNoError(t, fmt.Sprintf("%s to answer %d", url, want), func() error {
		if got := status(url); got != want {
			return fmt.Errorf("answered %d", got)
		}
		return nil
	})
}

func TestRunReadyAfterDepsAndStop(t *testing.T) {
	var depReady atomic.Bool
	depChecked := make(chan struct{}, 1)
	dep := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !depReady.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			select {
			case depChecked <- struct{}{}:
			default:
			}
		}
	}))
	defer dep.Close()

	ctx, cancel := context.WithCancel(t.Context())
	base, done := start(t, ctx, config{Exit: -1, ReadyAfter: 100 * time.Millisecond, Deps: []string{dep.URL}})
	url := base + "/healthz"
	waitStatus(t, url, http.StatusServiceUnavailable)
	// The dependency is asked only once ready-after has passed: the service
	// is past its delay and still not ready, because of the dependency.
	testutil.Receive(t, "a check of the dependency", depChecked)
	if got := status(url); got != http.StatusServiceUnavailable {
		t.Fatalf("healthz with dependency down = %d, want 503", got)
	}
	depReady.Store(true)
	waitStatus(t, url, http.StatusOK)

	cancel()
	if code := testutil.Receive(t, "run's return after cancel", done); code != 0 {
		t.Fatalf("exit code after cancel = %d, want 0", code)
	}
}

func TestRunExitAndFailAfter(t *testing.T) {
	if code := run(t.Context(), config{Exit: 7}, discardLogger()); code != 7 {
		t.Errorf("-exit 7 returned %d", code)
	}
	_, done := start(t, t.Context(), config{Exit: -1, FailAfter: 50 * time.Millisecond})
	if code := testutil.Receive(t, "the exit after -fail-after", done); code != exitFailAfter {
		t.Errorf("-fail-after returned %d, want %d", code, exitFailAfter)
	}
}

func TestRunListenError(t *testing.T) {
	if code := run(t.Context(), config{Exit: -1, Listen: "127.0.0.1:-1"}, discardLogger()); code != 1 {
		t.Errorf("an address it cannot listen on returned %d, want 1", code)
	}
}

func TestRunUnhealthy(t *testing.T) {
	base, _ := start(t, t.Context(), config{Exit: -1, Unhealthy: true})
	// Unhealthy is decided once and for all: wait for the answer that says so.
	testutil.EventuallyNoError(t, "healthz saying it is configured unhealthy", func() error {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "configured unhealthy") {
			return fmt.Errorf("%d %q", resp.StatusCode, b)
		}
		return nil
	})
}
