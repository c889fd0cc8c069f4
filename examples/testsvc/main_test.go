package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func status(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitStatus polls url until it answers want or the deadline passes.
func waitStatus(t *testing.T, url string, want int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if status(url) == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not answer %d within %s (last %d)", url, want, within, status(url))
}

func TestRunReadyAfterDepsAndStop(t *testing.T) {
	var depReady atomic.Bool
	dep := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !depReady.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer dep.Close()

	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int, 1)
	cfg := config{Listen: addr, Exit: -1, ReadyAfter: 100 * time.Millisecond, Deps: []string{dep.URL}}
	go func() { done <- run(ctx, cfg, discardLogger()) }()

	url := "http://" + addr + "/healthz"
	waitStatus(t, url, http.StatusServiceUnavailable, 2*time.Second)
	time.Sleep(300 * time.Millisecond)
	if got := status(url); got != http.StatusServiceUnavailable {
		t.Fatalf("healthz with dependency down = %d, want 503", got)
	}
	depReady.Store(true)
	waitStatus(t, url, http.StatusOK, 2*time.Second)

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit code after cancel = %d, want 0", code)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("run did not return after cancel")
	}
}

func TestRunExitAndFailAfter(t *testing.T) {
	if code := run(t.Context(), config{Exit: 7}, discardLogger()); code != 7 {
		t.Errorf("-exit 7 returned %d", code)
	}
	cfg := config{Listen: freeAddr(t), Exit: -1, FailAfter: 50 * time.Millisecond}
	if code := run(t.Context(), cfg, discardLogger()); code != exitFailAfter {
		t.Errorf("-fail-after returned %d, want %d", code, exitFailAfter)
	}
}

func TestRunUnhealthy(t *testing.T) {
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go run(ctx, config{Listen: addr, Exit: -1, Unhealthy: true}, discardLogger())
	url := "http://" + addr + "/healthz"
	waitStatus(t, url, http.StatusServiceUnavailable, 2*time.Second)
	time.Sleep(100 * time.Millisecond)
	if got := status(url); got != http.StatusServiceUnavailable {
		t.Fatalf("unhealthy healthz = %d, want 503", got)
	}
}
