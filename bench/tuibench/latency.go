package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
)

// pollEvery is how often the screen is read while a change is awaited.
const pollEvery = 5 * time.Millisecond

// sample is one state change and when the screen showed it.
type sample struct {
	stop      bool          // docker stop (else docker start)
	fromEvent time.Duration // the engine's event (die, start) → screen
	fromCall  time.Duration // the API call's start → screen
}

// eventLog records when the engine reported each container's die and start.
type eventLog struct {
	mu   sync.Mutex
	seen map[string]time.Time // "ID action" → the event's time; guarded by mu
}

func watchEvents(ctx context.Context, cli *client.Client, project string) *eventLog {
	el := &eventLog{seen: map[string]time.Time{}}
	msgs, _ := cli.Events(ctx, events.ListOptions{Filters: filters.NewArgs(
		filters.Arg("type", "container"), filters.Arg("label", "dev.devenv.project="+project))})
	go func() {
		for m := range msgs {
			el.mu.Lock()
			el.seen[m.Actor.ID+" "+string(m.Action)] = time.Unix(0, m.TimeNano)
			el.mu.Unlock()
		}
	}()
	return el
}

// after waits up to 2 s for the engine's event action of container id
// at or after t.
func (el *eventLog) after(id, action string, t time.Time) (time.Time, error) {
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		el.mu.Lock()
		at, ok := el.seen[id+" "+action]
		el.mu.Unlock()
		if ok && !at.Before(t.Add(-time.Millisecond)) {
			return at, nil
		}
		time.Sleep(pollEvery)
	}
	return time.Time{}, &stepFailure{what: fmt.Sprintf("no %s event for %.12s within 2 s", action, id)}
}

// change stops (or starts) the container and polls the screen from the
// moment of the call until label shows the new state.
func change(ctx context.Context, cli *client.Client, s *session, el *eventLog, label, id string, stop bool) (sample, error) {
	want, action := "running", "start"
	call := func() error { return cli.ContainerStart(ctx, id, container.StartOptions{}) }
	if stop {
		want, action = "exited", "die"
		call = func() error { return cli.ContainerStop(ctx, id, container.StopOptions{}) }
	}
	t0 := time.Now()
	errc := make(chan error, 1)
	go func() { errc <- call() }()
	for {
		screen, err := s.capture()
		if err != nil {
			return sample{}, err
		}
		if stateOf(screen, label) == want {
			break
		}
		if time.Since(t0) > 10*time.Second {
			return sample{}, &stepFailure{screen: screen, what: fmt.Sprintf("%s not shown %s 10 s after docker %s (%s)",
				label, want, verb(stop), engineState(ctx, cli, id, errc))}
		}
		time.Sleep(pollEvery)
	}
	shownAt := time.Now()
	if err := <-errc; err != nil {
		return sample{}, fmt.Errorf("docker %s %s: %w", verb(stop), label, err)
	}
	at, err := el.after(id, action, t0)
	if err != nil {
		return sample{}, err
	}
	return sample{stop: stop, fromEvent: shownAt.Sub(at), fromCall: shownAt.Sub(t0)}, nil
}

// latencies makes n state changes, alternating stop and start over the
// targets, with a random pause between them so that no UI timer lines up.
func latencies(ctx context.Context, cli *client.Client, s *session, el *eventLog, targets []target, n int) ([]sample, error) {
	var out []sample
	for i := range n {
		tg := targets[(i/2)%len(targets)]
		time.Sleep(200*time.Millisecond + rand.N(300*time.Millisecond))
		smp, err := change(ctx, cli, s, el, tg.label, tg.id, i%2 == 0)
		if err != nil {
			return out, err
		}
		out = append(out, smp)
	}
	if n%2 == 1 { // leave every container running
		tg := targets[(n/2)%len(targets)]
		if err := cli.ContainerStart(ctx, tg.id, container.StartOptions{}); err != nil {
			return out, err
		}
	}
	return out, nil
}

func verb(stop bool) string {
	if stop {
		return "stop"
	}
	return "start"
}

// engineState says what became of the call and the container, for an error.
func engineState(ctx context.Context, cli *client.Client, id string, errc <-chan error) string {
	call := "the call has not returned"
	select {
	case err := <-errc:
		call = fmt.Sprintf("the call returned %v", err)
	default:
	}
	c, err := cli.ContainerInspect(ctx, id)
	if err != nil {
		return call + "; inspect: " + err.Error()
	}
	return fmt.Sprintf("%s; the engine says %s", call, c.State.Status)
}
