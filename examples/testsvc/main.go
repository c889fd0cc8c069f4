// Command testsvc is a tiny static HTTP service for integration tests and
// benchmarks of devenv. Its readiness, failure and exit behaviour is set by
// flags and TESTSVC_* environment variables, so one image can stand in for a
// slow starter, a crashing service, an unhealthy one or a one-shot job.
//
//	testsvc [-listen :8080] [-ready-after 0s] [-fail-after 0] [-unhealthy]
//	        [-exit CODE] [-deps URL,URL] [-heartbeat 0]
//	testsvc health [URL]
//
// GET /healthz answers 200 once ready and 503 before. SIGTERM exits 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/devenv-dev/devenv/examples/internal/svc"
)

// exitFailAfter is the code -fail-after exits with.
const exitFailAfter = 3

func main() {
	ctx, stop := svc.SignalContext(context.Background())
	defer stop()
	if len(os.Args) > 1 && os.Args[1] == "health" {
		os.Exit(svc.HealthCommand(ctx, os.Args[2:], os.Stdout))
	}
	cfg, err := parseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsvc:", err)
		os.Exit(2)
	}
	log := svc.NewLogger(os.Stdout, "testsvc")
	os.Exit(run(ctx, cfg, log))
}

// run serves until ctx ends or a configured failure fires and returns the
// process exit code.
func run(ctx context.Context, cfg config, log *slog.Logger) int {
	log.Info("start", "listen", cfg.Listen, "ready_after", cfg.ReadyAfter, "fail_after", cfg.FailAfter,
		"unhealthy", cfg.Unhealthy, "exit", cfg.Exit, "deps", cfg.Deps, "heartbeat", cfg.Heartbeat)
	if cfg.Exit >= 0 {
		log.Info("exit", "code", cfg.Exit)
		return cfg.Exit
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		log.Error("serve", "err", fmt.Errorf("listening on %s: %w", cfg.Listen, err))
		return 1
	}
	return serve(ctx, cfg, ln, log)
}

// serve is run on a listener it owns from here on (tests give one on
// port 0).
func serve(ctx context.Context, cfg config, ln net.Listener, log *slog.Logger) int {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var r readiness
	go r.become(ctx, cfg, log)
	if cfg.Heartbeat > 0 {
		go heartbeat(ctx, cfg.Heartbeat, log)
	}
	if cfg.FailAfter > 0 {
		t := time.AfterFunc(cfg.FailAfter, func() { cancel(errFailAfter) })
		defer t.Stop()
	}
	err := svc.ServeListener(ctx, ln, svc.LogRequests(log, newMux(&r)))
	if err != nil {
		log.Error("serve", "err", err)
		return 1
	}
	if errors.Is(context.Cause(ctx), errFailAfter) {
		log.Error("fail-after elapsed", "after", cfg.FailAfter, "code", exitFailAfter)
		return exitFailAfter
	}
	log.Info("stopped")
	return 0
}

// errFailAfter is the cancellation cause when -fail-after elapses.
var errFailAfter = errors.New("fail-after elapsed")

// newMux routes /healthz to the readiness state and answers everything
// else with a short text body, which is what benchmarks measure.
func newMux(r *readiness) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", svc.Healthz(r.check))
	mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		host, _ := os.Hostname()
		fmt.Fprintf(w, "testsvc %s %s %s\n", host, req.Method, req.URL.Path)
	})
	return mux
}

func heartbeat(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			log.Info("heartbeat", "n", n)
		}
	}
}
