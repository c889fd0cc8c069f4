// Package svc is the scaffold shared by the example services: an HTTP server
// that shuts down gracefully on SIGTERM, structured request logs, a /healthz
// endpoint driven by a readiness check, dependency probes, and the `health`
// subcommand that container healthchecks run as ["CMD", "/app", "health"].
//
// It uses the standard library only, so every example binary stays static
// and small. It never writes anywhere except the writers and loggers it is
// given.
package svc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"
)

// ShutdownTimeout bounds how long Serve waits for in-flight requests after
// its context ends; container runtimes send SIGKILL ten seconds after SIGTERM.
const ShutdownTimeout = 5 * time.Second

// NewLogger returns a logger writing logfmt lines to w, tagged with the
// service name so interleaved `docker logs` stay readable.
func NewLogger(w io.Writer, service string) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, nil)).With("service", service)
}

// SignalContext returns a context cancelled on SIGTERM or SIGINT. A process
// running as PID 1 in a container gets no default signal handling, so every
// service must install this to stop promptly.
func SignalContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
}

// Serve runs h on addr until ctx ends, then shuts down gracefully. It returns
// nil after a clean shutdown and the listener's error otherwise.
func Serve(ctx context.Context, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	return ServeListener(ctx, ln, h)
}

// ServeListener is Serve on an existing listener; tests use it with port 0.
func ServeListener(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down %s: %w", ln.Addr(), err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	}
	return nil
}

// LogRequests wraps h so that every request produces one log line with its
// method, path, status and duration. Requests for quietPaths (healthchecks,
// which arrive every second) are logged at debug level instead of info.
func LogRequests(log *slog.Logger, h http.Handler, quietPaths ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		level := slog.LevelInfo
		if slices.Contains(quietPaths, r.URL.Path) {
			level = slog.LevelDebug
		}
		log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path,
			"status", rec.status, "duration", time.Since(start).Round(time.Microsecond))
	})
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
