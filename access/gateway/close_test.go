package gateway

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/testutil"
)

// TestCloseWhileAGrantArms closes the gateway while a grant is being armed,
// its peer set: Close must wait for the grant's record and its end, or the
// record is lost to a closed spool.
func TestCloseWhileAGrantArms(t *testing.T) {
	hub := newFakeHub(t)
	c := testConfig(t, hub, prodUpstream(t).URL, t.TempDir(), 30*time.Second)
	h := &pausingHandler{pauseAt: "grant active", paused: make(chan struct{}, 1), resume: make(chan struct{})}
	gw, err := New(Options{Config: c, Hub: hub.client(), Logger: slog.New(h)})
	if err != nil {
		t.Fatal(err)
	}
	gw.hubAnswered() // a new gateway waits for the hub before it arms grants
	cl := newClient(t, gw, "echo", time.Now().Add(time.Minute))
	armed := make(chan struct{})
	go func() {
		defer close(armed)
		gw.arm(cl.grant)
	}()
	testutil.Receive(t, "the grant being armed", h.paused)
	closed := make(chan error, 1)
	go func() { closed <- gw.Close() }()
	returned := false
	select {
	case err := <-closed:
		returned = true
		t.Errorf("Close returned (%v) while a grant it had counted was being armed", err)
	case <-time.After(testutil.Scaled(300 * time.Millisecond)): // Close waits, as it must
	}
	close(h.resume)
	<-armed
	if !returned {
		if err := testutil.Receive(t, "Close", closed); err != nil {
			t.Fatal(err)
		}
	}
	if errs := h.errors(); len(errs) > 0 {
		t.Errorf("errors logged: %q", errs)
	}
}

// pausingHandler is a logger that pauses the goroutine that logs pauseAt
// until resume is closed, and keeps the messages of errors.
type pausingHandler struct {
	pauseAt        string
	paused, resume chan struct{}
	once           sync.Once
	mu             sync.Mutex
	errs           []string // guarded by mu
}

func (h *pausingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *pausingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *pausingHandler) WithGroup(string) slog.Handler            { return h }

func (h *pausingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		h.mu.Lock()
		h.errs = append(h.errs, r.Message)
		h.mu.Unlock()
	}
	if r.Message == h.pauseAt {
		h.once.Do(func() {
			h.paused <- struct{}{}
			<-h.resume
		})
	}
	return nil
}

func (h *pausingHandler) errors() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.errs
}
