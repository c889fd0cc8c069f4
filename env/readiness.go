package env

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// act brings the service's container to running, or records what it found.
func (r *run) act(ctx context.Context, st Step, s *serviceState) error {
	spec := st.Desired.Spec
	switch st.Action {
	case ActionKeep:
		return nil // observed before the run's goroutines started
	case ActionStart:
		r.track(s, st.Existing.ID)
		return r.start(ctx, st, s, st.Existing.ID)
	}
	// ActionRecreate; new containers are made by createEarly.
	emit(r.rep, KindService, st.Service, StatusRecreating, st.Reason)
	if err := removeContainer(ctx, r.eng, *st.Existing); err != nil {
		return fmt.Errorf("removing old container: %w", err)
	}
	id, err := r.create(ctx, spec)
	if err != nil {
		return err
	}
	r.track(s, id)
	emit(r.rep, KindService, st.Service, StatusCreated, short(id))
	return r.start(ctx, st, s, id)
}

// create creates the service's container. When the name is taken by a
// container of this project that the observation did not show (an
// interrupted run whose create the engine finished afterwards, or is still
// finishing), that container is replaced; a container that is not the
// project's is never touched.
func (r *run) create(ctx context.Context, spec engine.ContainerSpec) (string, error) {
	spec.Network = r.networkID // by ID: immune to a duplicate name (not hashed)
	spec.Image = pinned(r.plan.pins, spec.Image)
	for attempt := 0; ; attempt++ {
		id, err := r.eng.ContainerCreate(ctx, spec)
		if err == nil || !errors.Is(err, engine.ErrConflict) || attempt == 20 {
			return id, err
		}
		c, ierr := r.eng.ContainerInspect(ctx, spec.Name)
		switch {
		case errors.Is(ierr, engine.ErrNotFound): // reserved by a create still in flight
			if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
				return "", err
			}
		case ierr != nil:
			return "", ierr
		case c.Labels[engine.LabelProject] != r.plan.Project:
			return "", fmt.Errorf("container name %s is taken by a container devenv does not manage; remove or rename it (docker rm -f %s): %w", spec.Name, spec.Name, err)
		default:
			if err := removeContainer(ctx, r.eng, c); err != nil {
				return "", fmt.Errorf("replacing stale container %s: %w", spec.Name, err)
			}
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (r *run) track(s *serviceState, id string) {
	s.setContainer(id)
	r.byID.Store(id, s)
}

// observeKept sets a kept container's signals from what was observed.
func (r *run) observeKept(ctx context.Context, st Step, s *serviceState) {
	c := st.Existing
	if c.State == "exited" {
		s.started.fire()
		s.markExited(c.ExitCode)
		return
	}
	s.started.fire()
	s.hasHealth = c.Health != "" || declared(st.Desired.Health)
	switch {
	case c.Health == "healthy" || !s.hasHealth:
		s.healthy.fire()
	case c.Health == "unhealthy":
		s.unhealthy.fire()
	default:
		if declared(st.Desired.Health) {
			go r.probe(ctx, s, c.ID, st.Desired.Health)
		}
	}
}

func declared(h *config.Healthcheck) bool { return h != nil && !h.Disable && len(h.Test) > 0 }

func (r *run) start(ctx context.Context, st Step, s *serviceState, id string) error {
	emit(r.rep, KindService, st.Service, StatusStarting, "")
	if err := r.eng.ContainerStart(ctx, id); err != nil {
		return fmt.Errorf("starting container: %w", err)
	}
	s.started.fire()
	emit(r.rep, KindService, st.Service, StatusStarted, "")
	switch {
	case declared(st.Desired.Health):
		s.hasHealth = true
		go r.probe(ctx, s, id, st.Desired.Health)
	case st.Desired.Health != nil && st.Desired.Health.Disable:
		s.healthy.fire()
	default: // the image may carry its own health check
		c, err := r.eng.ContainerInspect(ctx, id)
		if err == nil && c.Health != "" {
			s.hasHealth = true
		} else {
			s.healthy.fire()
		}
	}
	return nil
}

// probe runs the service's own health test early and often, so readiness is
// seen long before the engine's first scheduled check (which waits a whole
// interval; API 1.41 engines have no start_interval). The engine's own
// health_status events still count, through follow.
func (r *run) probe(ctx context.Context, s *serviceState, id string, h *config.Healthcheck) {
	cmd := probeCommand(h)
	begin := time.Now()
	delay := 10 * time.Millisecond
	for {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-s.healthy.ch:
		case <-s.exited.ch:
		case <-s.failed.ch:
		case <-ctx.Done():
		}
		t.Stop()
		if s.healthy.fired() || s.exited.fired() || s.failed.fired() || ctx.Err() != nil {
			return
		}
		pctx, cancel := context.WithTimeout(ctx, h.Timeout)
		code, out, err := r.eng.ContainerExec(pctx, id, cmd)
		cancel()
		if err == nil && code == 0 {
			s.healthy.fire()
			return
		}
		if err != nil {
			out = err.Error()
		}
		s.setProbeOutput(out)
		delay = nextProbeDelay(delay, time.Since(begin))
	}
}

// nextProbeDelay backs off from 10 ms to at most 100 ms for the first ten
// seconds, then to 1 s: a fast service is seen within ~100 ms of being ready,
// and a slow one costs few execs.
func nextProbeDelay(d, elapsed time.Duration) time.Duration {
	limit := 100 * time.Millisecond
	if elapsed > 10*time.Second {
		limit = time.Second
	}
	return min(d*2, limit)
}

// follow feeds the engine's events into the services' states.
func (r *run) follow(ctx context.Context, events <-chan engine.Event, errs <-chan error) {
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			r.onEvent(ev)
		case err, ok := <-errs:
			if ok && err != nil && ctx.Err() == nil {
				r.broken(err)
			}
			return
		case <-ctx.Done():
			return
		}
	}
}

func (r *run) onEvent(ev engine.Event) {
	v, ok := r.byID.Load(ev.ContainerID)
	if !ok {
		return
	}
	s := v.(*serviceState)
	switch ev.Action {
	case "start":
		s.started.fire()
	case "die":
		s.markExited(ev.ExitCode)
	case "health_status":
		if ev.Health == "healthy" {
			s.healthy.fire()
		} else if ev.Health == "unhealthy" {
			s.unhealthy.fire()
		}
	}
}

func (r *run) broken(err error) {
	r.mu.Lock()
	r.streamErr = fmt.Errorf("lost the engine's event stream: %w", err)
	r.mu.Unlock()
	r.lost.fire()
}

// await waits for the service to be ready and reports how it ended.
func (r *run) await(ctx context.Context, st Step, s *serviceState) {
	ready, what := s.started.ch, StatusStarted
	switch {
	case s.hasHealth:
		ready, what = s.healthy.ch, StatusHealthy
	case st.Desired.OneShot:
		ready = nil // only its exit counts
	}
	if st.Action == ActionKeep {
		what = StatusUpToDate
	}
	if st.Action == ActionKeep && s.exited.fired() && s.code() == 0 {
		emit(r.rep, KindService, st.Service, StatusUpToDate, "completed earlier")
		return
	}
	if s.hasHealth && !s.healthy.fired() {
		emit(r.rep, KindService, st.Service, StatusWaiting, "for its health check")
	}
	if r.settled(ctx, st, s, ready, what) {
		return
	}
	defer r.recheck(ctx, s)()
	select {
	case <-ready:
		emit(r.rep, KindService, st.Service, what, "")
	case <-s.exited.ch:
		r.settled(ctx, st, s, nil, what)
	case <-s.unhealthy.ch:
		r.culprit(ctx, s, "is unhealthy")
	case <-r.lost.ch:
		r.culprit(ctx, s, "was not seen becoming ready: "+r.streamError().Error())
	case <-ctx.Done():
		if interrupted(ctx) {
			return
		}
		r.culprit(ctx, s, "did not become ready in time ("+context.Cause(ctx).Error()+")")
	}
}

// settled reports the service's end when it is already known: an exit wins
// over having been started, so a crash right after the start is not "started".
func (r *run) settled(ctx context.Context, st Step, s *serviceState, ready <-chan struct{}, what Status) bool {
	if s.exited.fired() {
		if c := s.code(); c != 0 {
			r.culprit(ctx, s, fmt.Sprintf("exited with code %d", c))
		} else {
			emit(r.rep, KindService, st.Service, StatusCompleted, "exited with code 0")
		}
		return true
	}
	select {
	case <-ready:
	default:
		return false
	}
	if !s.hasHealth && st.Action != ActionKeep {
		// Without a health check "started" is all there is: give a crash
		// right after the start a moment to show, rather than call it ready.
		t := time.NewTimer(settleFor)
		defer t.Stop()
		select {
		case <-s.exited.ch:
			return r.settled(ctx, st, s, ready, what)
		case <-t.C:
		case <-ctx.Done():
		}
	}
	emit(r.rep, KindService, st.Service, what, "")
	return true
}

// settleFor is how long a service without a health check must stay up after
// its start to count as started by Up.
const settleFor = 250 * time.Millisecond

// recheckEvery is how often a service still awaited is inspected, in case an
// event was lost: a safety net under the event stream, not the mechanism.
const recheckEvery = 2 * time.Second

// recheck inspects the service's container now and then until the returned
// stop is called, and feeds what it sees into the service's signals.
func (r *run) recheck(ctx context.Context, s *serviceState) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		t := time.NewTicker(recheckEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
			id := s.containerID()
			if id == "" {
				continue
			}
			if c, err := r.eng.ContainerInspect(ctx, id); err == nil {
				applyInspected(s, c)
			}
		}
	}()
	return cancel
}

func applyInspected(s *serviceState, c engine.Container) {
	switch c.State {
	case "running":
		s.started.fire()
	case "exited", "dead":
		s.markExited(c.ExitCode)
	}
	switch c.Health {
	case "healthy":
		s.healthy.fire()
	case "unhealthy":
		s.unhealthy.fire()
	}
}
