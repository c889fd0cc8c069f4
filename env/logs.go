package env

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// LogsOptions configures Logs.
type LogsOptions struct {
	Services   []string // empty: every service with a container
	Follow     bool     // keep streaming, also across restarts and recreation
	Tail       string   // "all" (default) or a number of lines per container
	Timestamps bool     // the caller wants to show them; LogEntry.Time is always set
	Since      time.Time
}

// LogEntry is one line of one service's output.
type LogEntry struct {
	Service   string
	Container string
	engine.LogLine
}

// Logs streams the services' logs to out, which is never called concurrently.
// With Follow it keeps going until ctx ends, picking up containers that start
// (or are recreated) meanwhile.
func Logs(ctx context.Context, eng engine.Engine, p *config.Project, opts LogsOptions, out func(LogEntry)) error {
	if len(opts.Services) > 0 {
		if _, err := p.Closure(opts.Services); err != nil {
			return err
		}
	}
	f := &logFollower{eng: eng, opts: opts, out: out, want: map[string]bool{}, streams: map[string]chan time.Time{}}
	for _, s := range opts.Services {
		f.want[s] = true
	}
	// A broken event stream ends a follow with its error rather than leaving
	// it silently blind to restarts.
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var events <-chan engine.Event
	var evErr <-chan error
	if opts.Follow {
		events, evErr = eng.Events(ctx, p.Name)
	}
	obs, err := eng.Observe(ctx, p.Name)
	if err != nil {
		return err
	}
	for _, c := range obs.Containers {
		if f.wanted(c.Service) {
			f.begin(ctx, c.ID, c.Service, c.Name, opts.Since, opts.Tail)
		}
	}
	if opts.Follow {
		if err := f.watch(ctx, events, evErr); err != nil {
			stop(fmt.Errorf("following logs: lost the engine's event stream: %w", err))
		}
	}
	f.wg.Wait()
	if opts.Follow {
		return context.Cause(ctx)
	}
	return nil
}

type logFollower struct {
	eng     engine.Engine
	opts    LogsOptions
	want    map[string]bool
	wg      sync.WaitGroup
	outMu   sync.Mutex
	out     func(LogEntry)            // guarded by outMu
	mu      sync.Mutex                // guards streams
	streams map[string]chan time.Time // container ID -> restarts to follow
}

func (f *logFollower) wanted(service string) bool { return len(f.want) == 0 || f.want[service] }

// begin starts following one container, unless it is followed already.
func (f *logFollower) begin(ctx context.Context, id, service, name string, since time.Time, tail string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.streams[id]; ok {
		return
	}
	restarts := make(chan time.Time, 1)
	f.streams[id] = restarts
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			// Timestamps are always asked for: a restart resumes right after
			// the last line seen. (The start event comes after the process
			// may already have written its first lines.)
			opened := time.Now()
			last := f.stream(ctx, id, service, name, engine.LogOptions{
				Follow: f.opts.Follow, Tail: tail, Since: since, Timestamps: true,
			})
			if last.IsZero() {
				last = opened // nothing new was shown: resume from when we looked
			}
			if !f.opts.Follow {
				return
			}
			select {
			case <-restarts:
				tail = "all"
				since = last.Add(time.Nanosecond)
			case <-ctx.Done():
				return
			}
		}
	}()
}

// stream copies one log stream to out and returns the time of its last line.
func (f *logFollower) stream(ctx context.Context, id, service, name string, o engine.LogOptions) time.Time {
	if o.Tail == "" {
		o.Tail = "all"
	}
	var last time.Time
	lines, errs := f.eng.ContainerLogs(ctx, id, o)
	for l := range lines {
		if !l.Time.IsZero() {
			last = l.Time
		}
		f.outMu.Lock()
		f.out(LogEntry{Service: service, Container: name, LogLine: l})
		f.outMu.Unlock()
	}
	select {
	case <-errs:
	case <-ctx.Done():
	}
	return last
}

// watch starts streams for containers that start while following.
func (f *logFollower) watch(ctx context.Context, events <-chan engine.Event, errs <-chan error) error {
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				err := <-errs // the stream yields its error, then closes
				if ctx.Err() != nil {
					return nil
				}
				if err == nil {
					err = errors.New("the event stream ended")
				}
				return err
			}
			if ev.Action != "start" || !f.wanted(ev.Service) {
				continue
			}
			f.mu.Lock()
			restarts, known := f.streams[ev.ContainerID]
			f.mu.Unlock()
			if known {
				select {
				case restarts <- ev.Time:
				default:
				}
				continue
			}
			f.begin(ctx, ev.ContainerID, ev.Service, "", time.Time{}, "all") // a new container: all of it
		case err := <-errs:
			if ctx.Err() != nil {
				return nil // we stopped it
			}
			return err
		case <-ctx.Done():
			return nil
		}
	}
}
