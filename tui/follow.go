package tui

import (
	"context"
	"strconv"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// logBatchMsg carries the lines a follower gathered since the last batch.
type logBatchMsg struct {
	f       *follower
	entries []env.LogEntry
	ended   bool  // the follow is over; no more batches
	err     error // why, when it did not end by being stopped
}

// batchDelay gathers the lines of a busy log into one redraw.
const batchDelay = 50 * time.Millisecond

// follower follows one service's log with env.Logs, as devenv logs -f
// does, and hands the lines over in batches.
type follower struct {
	service string
	cancel  context.CancelFunc
	wake    chan struct{} // capacity 1: pending or done changed
	limit   int

	mu      sync.Mutex
	pending []env.LogEntry // guarded by mu; at most limit
	done    bool           // guarded by mu
	err     error          // guarded by mu
}

// follow starts following service from since (all of the last limit lines
// when zero).
func follow(ctx context.Context, eng engine.Engine, p *config.Project, service string, since time.Time, limit int) *follower {
	ctx, cancel := context.WithCancel(ctx)
	f := &follower{service: service, cancel: cancel, wake: make(chan struct{}, 1), limit: limit}
	opts := env.LogsOptions{Services: []string{service}, Follow: true, Tail: strconv.Itoa(limit)}
	if !since.IsZero() {
		opts.Tail, opts.Since = "all", since
	}
	go func() {
		err := env.Logs(ctx, eng, p, opts, f.add)
		f.mu.Lock()
		f.done = true
		if ctx.Err() == nil {
			f.err = err
		}
		f.mu.Unlock()
		f.signal()
	}()
	return f
}

func (f *follower) add(e env.LogEntry) {
	f.mu.Lock()
	f.pending = append(f.pending, e)
	if over := len(f.pending) - f.limit; over > 0 {
		f.pending = append(f.pending[:0], f.pending[over:]...)
	}
	f.mu.Unlock()
	f.signal()
}

func (f *follower) signal() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// stop ends the follow; its last batch says ended.
func (f *follower) stop() { f.cancel() }

// next waits for the next batch of lines.
func (f *follower) next() tea.Cmd {
	return func() tea.Msg {
		<-f.wake
		time.Sleep(batchDelay)
		f.mu.Lock()
		defer f.mu.Unlock()
		msg := logBatchMsg{f: f, entries: f.pending, ended: f.done, err: f.err}
		f.pending = nil
		return msg
	}
}
