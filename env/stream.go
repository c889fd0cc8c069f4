package env

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// ContainerEvent is one engine event of a project's container, a line of
// `devenv events`.
type ContainerEvent struct {
	Time     time.Time `json:"time"`
	Type     string    `json:"type"`   // container
	Action   string    `json:"action"` // create, start, die, health_status, kill, stop, destroy, pause, …
	ID       string    `json:"id"`
	Service  string    `json:"service"`
	Health   string    `json:"health,omitempty"`    // of health_status: healthy or unhealthy
	ExitCode *int      `json:"exit_code,omitempty"` // of die
}

// EventsOptions configures Events.
type EventsOptions struct {
	// Services whose events to pass on; empty means every service.
	Services []string
}

// Events passes the project's container events to out, as they happen,
// until ctx ends (then it returns ctx's cause) or the engine's stream
// breaks. out is never called concurrently.
func Events(ctx context.Context, eng engine.Engine, p *config.Project, opts EventsOptions, out func(ContainerEvent)) error {
	want := map[string]bool{}
	if len(opts.Services) > 0 {
		if _, err := p.Closure(opts.Services); err != nil {
			return err
		}
		for _, s := range opts.Services {
			want[s] = true
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events, errs := eng.Events(ctx, p.Name)
	for ev := range events {
		if len(want) == 0 || want[ev.Service] {
			out(containerEvent(ev))
		}
	}
	err := <-errs
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return context.Cause(ctx)
	}
	return fmt.Errorf("following events: %w", err)
}

func containerEvent(ev engine.Event) ContainerEvent {
	ce := ContainerEvent{Time: ev.Time, Type: "container", Action: ev.Action, ID: ev.ContainerID, Service: ev.Service, Health: ev.Health}
	if ev.Action == "die" {
		code := ev.ExitCode
		ce.ExitCode = &code
	}
	return ce
}
