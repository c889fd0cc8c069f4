package enginetest

import (
	"context"
	"fmt"
	"time"

	"github.com/devenv-dev/devenv/env/engine"
)

// subscriber is one Events stream. Its queue is unbounded so that emitting
// never blocks on a slow reader while f.mu is held.
type subscriber struct {
	project string
	queue   []engine.Event // guarded by Fake.mu
	broken  error          // set by BreakEvents; guarded by Fake.mu
	wake    chan struct{}  // capacity 1: queue or broken changed
}

// Events streams the project's container events from the moment of the
// call, like engine.Docker's Events: create, start, health_status, kill,
// die, stop, destroy. The error channel yields exactly one error (ctx's, or the
// one given to BreakEvents), then both channels close.
func (f *Fake) Events(ctx context.Context, project string) (<-chan engine.Event, <-chan error) {
	out := make(chan engine.Event)
	errs := make(chan error, 1)
	f.mu.Lock()
	if err := f.checkLocked(); err != nil {
		f.mu.Unlock()
		errs <- err
		close(out)
		close(errs)
		return out, errs
	}
	sub := &subscriber{project: project, wake: make(chan struct{}, 1)}
	f.subs[sub] = struct{}{}
	f.mu.Unlock()
	go func() {
		defer close(errs)
		defer close(out)
		errs <- f.pump(ctx, sub, out)
		f.mu.Lock()
		delete(f.subs, sub)
		f.mu.Unlock()
	}()
	return out, errs
}

// pump delivers sub's events until ctx ends or the stream is broken.
func (f *Fake) pump(ctx context.Context, sub *subscriber, out chan<- engine.Event) error {
	for {
		f.mu.Lock()
		batch, broken := sub.queue, sub.broken
		sub.queue = nil
		f.mu.Unlock()
		for _, ev := range batch {
			select {
			case out <- ev:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
		if broken != nil {
			return broken
		}
		select {
		case <-sub.wake:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// BreakEvents ends every open Events stream with err (after the events
// already emitted), as when the engine goes away.
func (f *Fake) BreakEvents(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for sub := range f.subs {
		sub.broken = fmt.Errorf("fake event stream: %w", err)
		wakeUp(sub)
	}
}

// eventLocked builds the event action of fc at the current time.
func (f *Fake) eventLocked(fc *fakeContainer, action, health string) engine.Event {
	return engine.Event{
		ContainerID: fc.c.ID,
		Service:     fc.c.Service,
		Action:      action,
		Health:      health,
		Time:        time.Now(),
	}
}

// emitLocked sends an event of fc to the subscribers of its project.
func (f *Fake) emitLocked(fc *fakeContainer, action, health string) {
	f.sendLocked(fc.c.Project, f.eventLocked(fc, action, health))
}

func (f *Fake) sendLocked(project string, ev engine.Event) {
	for sub := range f.subs {
		if sub.project == project && sub.broken == nil {
			sub.queue = append(sub.queue, ev)
			wakeUp(sub)
		}
	}
}

func wakeUp(sub *subscriber) {
	select {
	case sub.wake <- struct{}{}:
	default:
	}
}
