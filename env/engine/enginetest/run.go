package enginetest

import (
	"context"
	"fmt"
	"io"

	"github.com/devenv-dev/devenv/env/engine"
)

// ContainerRun starts a created or stopped container, writes its
// Behaviour's log lines to opts.Stdout (or Stderr, by stream) as they are
// logged, and returns its exit code once it has exited. Stdin is not read.
func (f *Fake) ContainerRun(ctx context.Context, id string, opts engine.ExecOptions) (int, error) {
	if err := f.ContainerStart(ctx, id); err != nil {
		return 0, err
	}
	sent := 0
	for {
		f.mu.Lock()
		fc := f.lookupLocked(id)
		if fc == nil {
			f.mu.Unlock()
			return 0, fmt.Errorf("waiting for container %s: %w", id, engine.ErrNotFound)
		}
		lines := fc.logs[sent:]
		sent = len(fc.logs)
		state, code, wake := fc.c.State, fc.c.ExitCode, fc.logWake
		f.mu.Unlock()
		for _, l := range lines {
			w := opts.Stdout
			if l.Stream == "stderr" && !opts.TTY {
				w = opts.Stderr
			}
			if w != nil {
				_, _ = io.WriteString(w, l.Text+"\n")
			}
		}
		if state != "running" && state != "paused" && state != "restarting" {
			return code, nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		}
	}
}
