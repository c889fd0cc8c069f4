package main

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/devenv-dev/devenv/examples/internal/svc"
)

// depPollInterval is how often dependencies are probed until they all answer.
const depPollInterval = 250 * time.Millisecond

// readiness latches once: after the delay and the dependencies, the service
// stays ready, so a dependency going away later does not flap /healthz.
type readiness struct {
	ready  atomic.Bool
	reason atomic.Value // string: why not ready yet
}

var errNotReady = errors.New("not ready")

func (r *readiness) check(context.Context) error {
	if r.ready.Load() {
		return nil
	}
	if s, _ := r.reason.Load().(string); s != "" {
		return errors.New(s)
	}
	return errNotReady
}

// become waits out the readiness delay and the dependencies, then marks r
// ready. With Unhealthy set it never does.
func (r *readiness) become(ctx context.Context, cfg config, log *slog.Logger) {
	if cfg.Unhealthy {
		r.reason.Store("configured unhealthy")
		return
	}
	r.reason.Store("waiting for ready-after " + cfg.ReadyAfter.String())
	select {
	case <-ctx.Done():
		return
	case <-time.After(cfg.ReadyAfter):
	}
	deps := make([]svc.Dependency, len(cfg.Deps))
	for i, u := range cfg.Deps {
		deps[i] = svc.Dependency{Name: u, URL: u}
	}
	for {
		err := svc.CheckDependencies(ctx, deps)
		if err == nil {
			break
		}
		r.reason.Store(err.Error())
		select {
		case <-ctx.Done():
			return
		case <-time.After(depPollInterval):
		}
	}
	r.ready.Store(true)
	log.Info("ready")
}
