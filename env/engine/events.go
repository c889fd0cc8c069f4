package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
)

// Events streams the container events of project until ctx ends.
//
// Guarantee: Events returns only after the engine has accepted the
// subscription, and no event of the project that happens after Events
// returns is missed. The engine writes its response headers before it
// subscribes, so waiting for them alone leaves a gap; Events therefore also
// asks for the events since the engine's time at the call (the engine replays
// those from its buffer of recent events, then streams live ones, with no
// gap in between). The engine clock is read once per Docker, so events that
// happened up to half a round trip before the call may be delivered too.
//
// Exec events (exec_create, exec_start, exec_die: health probes run one
// every interval) are left out. health_status events have Action
// "health_status" and Health "healthy" or "unhealthy"; die events carry the
// ExitCode.
//
// The error channel yields exactly one error, ctx's error when ctx ended or
// the reason the stream broke, and then both channels are closed. Cancel
// ctx to stop reading; that ends the stream's goroutines.
func (d *Docker) Events(ctx context.Context, project string) (<-chan Event, <-chan error) {
	out := make(chan Event, 64)
	errs := make(chan error, 1)
	since, err := d.engineNow(ctx)
	if err != nil {
		errs <- fmt.Errorf("events of project %s: %w", project, err)
		close(out)
		close(errs)
		return out, errs
	}
	ctx, cancel := context.WithCancelCause(ctx)
	msgs, msgErrs := d.cli.Events(ctx, events.ListOptions{
		Since: engineTimestamp(since),
		Filters: filters.NewArgs(
			filters.Arg("type", string(events.ContainerEventType)),
			filters.Arg("label", LabelProject+"="+project),
		),
	})
	go func() {
		defer cancel(errEventsDone)
		defer close(errs)
		defer close(out)
		if err := d.forwardEvents(ctx, msgs, msgErrs, out); err != nil {
			errs <- fmt.Errorf("events of project %s: %w", project, err)
		}
	}()
	return out, errs
}

// errEventsDone ends the client's stream once Events stops forwarding.
var errEventsDone = errors.New("event stream no longer read")

// forwardEvents maps the engine's messages until the stream or ctx ends, and
// returns why.
func (d *Docker) forwardEvents(ctx context.Context, msgs <-chan events.Message, msgErrs <-chan error, out chan<- Event) error {
	for {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case err := <-msgErrs:
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			if err == nil || errors.Is(err, io.EOF) {
				return errors.New("the engine ended the event stream")
			}
			return d.mapErr(err, ErrNotFound)
		case m := <-msgs:
			ev, ok := toEvent(m)
			if !ok {
				continue
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
	}
}

// toEvent maps an engine event; false for events Events leaves out.
func toEvent(m events.Message) (Event, bool) {
	action, detail, _ := strings.Cut(string(m.Action), ":")
	if strings.HasPrefix(action, "exec_") {
		return Event{}, false
	}
	ev := Event{
		ContainerID: m.Actor.ID,
		Service:     m.Actor.Attributes[LabelService],
		Action:      action,
	}
	switch {
	case m.TimeNano != 0:
		ev.Time = time.Unix(0, m.TimeNano)
	case m.Time != 0:
		ev.Time = time.Unix(m.Time, 0)
	}
	switch action {
	case "health_status":
		ev.Health = strings.TrimSpace(detail)
	case "die":
		ev.ExitCode, _ = strconv.Atoi(m.Actor.Attributes["exitCode"])
	}
	return ev, true
}
