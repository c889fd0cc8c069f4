package env_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/env/engine/enginetest"
	"github.com/devenv-dev/devenv/internal/testutil"
)

// subscribed tells when Events has subscribed, so a test acts only after.
type subscribed struct {
	*enginetest.Fake
	ready chan struct{}
}

func (s subscribed) Events(ctx context.Context, project string) (<-chan engine.Event, <-chan error) {
	evs, errs := s.Fake.Events(ctx, project)
	s.ready <- struct{}{}
	return evs, errs
}

// Events passes on the named services' events only, with die's exit code,
// until ctx ends.
func TestEventsOfServices(t *testing.T) {
	p := parse(t, "name: ev\nservices:\n  api: {image: api:1}\n  db: {image: db:1}\n")
	f := fakeWith(t, p, nil)
	if _, err := env.Up(t.Context(), f, p, env.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	eng := subscribed{f, make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(t.Context())
	got := make(chan env.ContainerEvent, 16)
	done := make(chan error, 1)
	go func() {
		done <- env.Events(ctx, eng, p, env.EventsOptions{Services: []string{"api"}}, func(ev env.ContainerEvent) { got <- ev })
	}()
	testutil.Receive(t, "the subscription", eng.ready)
	if err := env.Kill(t.Context(), f, p, env.KillOptions{}); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for len(actions) < 2 {
		ev := testutil.Receive(t, "api's events", got)
		if ev.Service != "api" || ev.Type != "container" || ev.ID == "" {
			t.Errorf("event %+v: want api's container events only", ev)
		}
		if ev.Action == "die" && (ev.ExitCode == nil || *ev.ExitCode != 137) {
			t.Errorf("die event without exit code 137: %+v", ev)
		}
		actions = append(actions, ev.Action)
	}
	if diff := cmp.Diff([]string{"kill", "die"}, actions); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	cancel()
	if err := testutil.Receive(t, "Events' return", done); !errors.Is(err, context.Canceled) {
		t.Errorf("Events after cancel = %v, want context.Canceled", err)
	}
}

// A broken stream ends Events with the reason.
func TestEventsStreamBreaks(t *testing.T) {
	p := parse(t, "name: evb\nservices:\n  api: {image: api:1}\n")
	f := fakeWith(t, p, nil)
	eng := subscribed{f, make(chan struct{}, 1)}
	done := make(chan error, 1)
	go func() { done <- env.Events(t.Context(), eng, p, env.EventsOptions{}, func(env.ContainerEvent) {}) }()
	testutil.Receive(t, "the subscription", eng.ready)
	broken := errors.New("connection reset")
	f.BreakEvents(broken)
	if err := testutil.Receive(t, "Events' return", done); !errors.Is(err, broken) {
		t.Errorf("Events after the stream broke = %v, want %v", err, broken)
	}
}
