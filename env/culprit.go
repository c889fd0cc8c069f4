package env

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/devenv-dev/devenv/env/engine"
)

// logTailLines is how much of a failed service's log is reported.
const logTailLines = 20

// culprit records why a service failed, with its last health output and log
// tail. It runs even when ctx has ended (a timeout), on a short budget of its own.
func (r *run) culprit(ctx context.Context, s *serviceState, reason string) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	e := &ServiceError{Service: s.name, Reason: reason}
	if id := s.containerID(); id != "" {
		if c, err := r.eng.ContainerInspect(dctx, id); err == nil {
			e.HealthOutput = strings.TrimSpace(c.HealthLog)
		}
		e.LogTail = tailLog(dctx, r.eng, id, logTailLines)
	}
	if e.HealthOutput == "" {
		e.HealthOutput = strings.TrimSpace(s.probeOutput())
	}
	s.fail(e)
	emit(r.rep, KindService, s.name, StatusFailed, reason)
}

// tailLog returns the last n lines of a container's log.
func tailLog(ctx context.Context, eng engine.Engine, id string, n int) []string {
	lines, errs := eng.ContainerLogs(ctx, id, engine.LogOptions{Tail: strconv.Itoa(n)})
	var out []string
	for l := range lines {
		out = append(out, l.Text)
	}
	select {
	case <-errs:
	case <-ctx.Done():
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out
}
