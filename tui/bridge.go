package tui

import (
	"context"
	"errors"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/devenv-dev/devenv/env/engine"
)

// engineUpMsg says the engine answers and the project's events are
// subscribed: the model observes the project again.
type engineUpMsg struct{}

// engineDownMsg says the engine cannot be reached (or its event stream
// broke); the bridge retries after retry.
type engineDownMsg struct {
	err   error
	retry time.Duration
}

// containerEventMsg is an engine event of one of the project's containers.
type containerEventMsg struct{ ev engine.Event }

// Backoff of the reconnection attempts.
const (
	firstRetry = 250 * time.Millisecond
	maxRetry   = 5 * time.Second
)

// WatchEngine bridges the project's container events to send until ctx
// ends. It subscribes first and then sends engineUpMsg, so that the model's
// observation that follows misses no event; when the engine goes away it
// sends engineDownMsg and tries again with a growing delay.
func WatchEngine(ctx context.Context, eng engine.Engine, project string, send func(tea.Msg)) {
	retry := firstRetry
	for ctx.Err() == nil {
		err := eng.Ping(ctx)
		if err == nil {
			subCtx, cancel := context.WithCancel(ctx)
			events, errs := eng.Events(subCtx, project)
			send(engineUpMsg{})
			retry = firstRetry
			err = forwardEvents(ctx, events, errs, send)
			cancel()
		}
		if ctx.Err() != nil {
			return
		}
		send(engineDownMsg{err: err, retry: retry})
		select {
		case <-time.After(retry):
		case <-ctx.Done():
			return
		}
		retry = min(2*retry, maxRetry)
	}
}

// forwardEvents sends the events until the stream ends, and returns why.
func forwardEvents(ctx context.Context, events <-chan engine.Event, errs <-chan error, send func(tea.Msg)) error {
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				if err := <-errs; err != nil {
					return err
				}
				return errors.New("the engine ended the event stream")
			}
			send(containerEventMsg{ev})
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
