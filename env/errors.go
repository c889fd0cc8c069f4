package env

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Sentinel errors of package env.
var (
	// ErrPortConflict: a published host port is already taken; nothing was created.
	ErrPortConflict = errors.New("port already allocated")
	// ErrNoContainer: the service has no container (the environment is not up).
	ErrNoContainer = errors.New("no container")
	// ErrServiceFailed: at least one service failed to become ready.
	ErrServiceFailed = errors.New("service failed")
)

// ServiceError says why one service failed: it names the culprit, not the
// services that were waiting for it.
type ServiceError struct {
	Service      string
	Reason       string   // e.g. "exited with code 3", "unhealthy", "timed out waiting to be healthy"
	HealthOutput string   // output of the last health probe, if any
	LogTail      []string // last lines of the container's log
}

func (e *ServiceError) Error() string {
	return fmt.Sprintf("service %s %s", e.Service, e.Reason)
}

// UpError is returned by Up when some services failed. The healthy part of the
// stack is left running.
type UpError struct {
	Failed  []*ServiceError   // culprits, sorted by service
	Skipped map[string]string // service -> which dependency kept it from starting
}

func (e *UpError) Error() string {
	var parts []string
	for _, f := range e.Failed {
		parts = append(parts, f.Error())
	}
	if len(e.Skipped) > 0 {
		names := make([]string, 0, len(e.Skipped))
		for n := range e.Skipped {
			names = append(names, n)
		}
		sort.Strings(names)
		parts = append(parts, "not started: "+strings.Join(names, ", "))
	}
	return strings.Join(parts, "; ")
}

// Unwrap lets errors.Is(err, ErrServiceFailed) hold.
func (e *UpError) Unwrap() error { return ErrServiceFailed }

// PortConflict is one published host port that is already taken.
type PortConflict struct {
	Service string
	HostIP  string
	Port    uint16
	Proto   string
	Holder  string // "container NAME" or "process NAME (pid N)" or "another process"
}

// PortError lists every conflict found before anything was created.
type PortError struct{ Conflicts []PortConflict }

func (e *PortError) Error() string {
	var lines []string
	for _, c := range e.Conflicts {
		addr := fmt.Sprintf("%d/%s", c.Port, c.Proto)
		if c.HostIP != "" {
			addr = c.HostIP + ":" + addr
		}
		lines = append(lines, fmt.Sprintf("service %s: host port %s is already in use by %s", c.Service, addr, c.Holder))
	}
	return strings.Join(lines, "\n") + "\nnothing was created; free the port or change the service's ports: entry"
}

// Unwrap lets errors.Is(err, ErrPortConflict) hold.
func (e *PortError) Unwrap() error { return ErrPortConflict }
