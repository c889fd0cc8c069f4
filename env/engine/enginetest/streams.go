package enginetest

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/devenv-dev/devenv/env/engine"
)

// ContainerExec answers with the Behaviour's Exec. A container that is not
// running gives engine.ErrConflict, as the engine does.
func (f *Fake) ContainerExec(ctx context.Context, id string, cmd []string) (int, string, error) {
	exec, err := f.execFunc(id)
	if err != nil {
		return 0, "", err
	}
	code, out := exec(cmd)
	return code, out, nil
}

// ExecInteractive answers with the Behaviour's Exec, writing its output to
// opts.Stdout.
func (f *Fake) ExecInteractive(ctx context.Context, id string, opts engine.ExecOptions) (int, error) {
	exec, err := f.execFunc(id)
	if err != nil {
		return 0, err
	}
	code, out := exec(opts.Cmd)
	if opts.Stdout != nil {
		if _, err := io.WriteString(opts.Stdout, out); err != nil {
			return 0, err
		}
	}
	return code, nil
}

// execFunc records the exec and returns what answers it.
func (f *Fake) execFunc(id string) (func([]string) (int, string), error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc, err := f.containerLocked("exec", id)
	if err != nil {
		return nil, err
	}
	if fc.c.State != "running" {
		return nil, fmt.Errorf("exec in container %s: %w: not running", fc.c.Name, engine.ErrConflict)
	}
	if fc.behaviour.Exec == nil {
		return func([]string) (int, string) { return 0, "" }, nil
	}
	return fc.behaviour.Exec, nil
}

// WriteLog appends lines to a container's log; a line without a Time gets
// the current time, one without a Stream is stdout.
func (f *Fake) WriteLog(idOrName string, lines ...engine.LogLine) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc := f.lookupLocked(idOrName)
	if fc == nil {
		return fmt.Errorf("writing log of %s: %w", idOrName, engine.ErrNotFound)
	}
	f.appendLogsLocked(fc, lines)
	return nil
}

func (f *Fake) appendLogsLocked(fc *fakeContainer, lines []engine.LogLine) {
	if len(lines) == 0 {
		return
	}
	now := time.Now()
	for _, l := range lines {
		if l.Time.IsZero() {
			l.Time = now
		}
		if l.Stream == "" {
			l.Stream = "stdout"
		}
		fc.logs = append(fc.logs, l)
	}
	f.wakeLogsLocked(fc)
}

// wakeLogsLocked tells the followers of fc's log to look again.
func (f *Fake) wakeLogsLocked(fc *fakeContainer) {
	close(fc.logWake)
	fc.logWake = make(chan struct{})
}

// ContainerLogs streams the container's log as ContainerLogs of
// engine.Docker does: with Follow until the container stops or is removed
// or ctx ends; Times only with Timestamps.
func (f *Fake) ContainerLogs(ctx context.Context, id string, opts engine.LogOptions) (<-chan engine.LogLine, <-chan error) {
	lines := make(chan engine.LogLine)
	errs := make(chan error, 1)
	go func() {
		defer close(errs)
		defer close(lines)
		if err := f.streamLogs(ctx, id, opts, lines); err != nil {
			errs <- err
		}
	}()
	return lines, errs
}

func (f *Fake) streamLogs(ctx context.Context, id string, opts engine.LogOptions, out chan<- engine.LogLine) error {
	next, first := 0, true
	for {
		batch, wake, live, err := f.logsSince(id, next, first)
		if err != nil {
			return err
		}
		next += len(batch)
		if first {
			batch = tail(batch, opts.Tail)
			first = false
		}
		for _, l := range batch {
			if !opts.Since.IsZero() && l.Time.Before(opts.Since) {
				continue
			}
			if !opts.Timestamps {
				l.Time = time.Time{}
			}
			select {
			case out <- l:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
		if !opts.Follow || !live {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// logsSince returns the log lines from index next on, a channel closed when
// there are more, and whether the container still runs. After the first
// call, a container gone means the end of its log.
func (f *Fake) logsSince(id string, next int, first bool) ([]engine.LogLine, <-chan struct{}, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(); err != nil {
		return nil, nil, false, err
	}
	fc := f.lookupLocked(id)
	if fc == nil {
		if !first {
			return nil, nil, false, nil // removed while followed
		}
		return nil, nil, false, fmt.Errorf("logs of container %s: %w", id, engine.ErrNotFound)
	}
	batch := append([]engine.LogLine(nil), fc.logs[next:]...)
	return batch, fc.logWake, fc.c.State == "running", nil
}

// tail keeps the last n lines for n a number; "", "all" or junk keep all.
func tail(lines []engine.LogLine, n string) []engine.LogLine {
	k, err := strconv.Atoi(n)
	if err != nil || k < 0 || k >= len(lines) {
		return lines
	}
	return lines[len(lines)-k:]
}
