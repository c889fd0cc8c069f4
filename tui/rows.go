package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/internal/format"
)

// row is one line of the services table: a container of the project, or a
// configured service that has none.
type row struct {
	env.ServiceStatus
	// waiting is what an up of this UI last said the service waits for
	// ("for store to be healthy"); cleared when it got going.
	waiting string
	// blocked is the first dependency of a created container whose
	// condition does not hold ("for db to be healthy"), from envs.yaml and
	// the other rows: what it waits for when something else runs the up.
	blocked string
}

// key identifies a row across refreshes: the container, or the service
// when there is none.
func (r row) key() string {
	if r.ID != "" {
		return r.ID
	}
	return "service:" + r.Service
}

// sample is what the stats of one container say.
type sample struct {
	last   engine.Stats
	cpu    float64
	cpuOK  bool
	memory uint64
}

// sortKey orders the table.
type sortKey int

const (
	byState  sortKey = iota // running first, then the rest; by name within
	byName                  // service name
	byUptime                // longest running first
	byCPU                   // busiest first
	byMemory                // largest first
	sortKeys
)

var sortNames = [...]string{"state", "name", "uptime", "cpu", "memory"}

func (k sortKey) String() string { return sortNames[k] }

// stateRank puts active containers first.
func stateRank(state string) int {
	switch state {
	case "running":
		return 0
	case "restarting", "paused", "created", "removing":
		return 1
	case env.StateNotCreated:
		return 3
	}
	return 2 // exited, dead
}

// sortRows orders rows by k, then by service and container names.
func sortRows(rows []row, k sortKey, stats map[string]*sample) {
	slices.SortStableFunc(rows, func(a, b row) int {
		if c := compareBy(a, b, k, stats); c != 0 {
			return c
		}
		return cmp.Or(strings.Compare(a.Service, b.Service), strings.Compare(a.Container, b.Container))
	})
}

func compareBy(a, b row, k sortKey, stats map[string]*sample) int {
	switch k {
	case byState:
		return cmp.Compare(stateRank(a.State), stateRank(b.State))
	case byUptime:
		return cmp.Compare(startKey(a), startKey(b))
	case byCPU:
		sa, sb := stats[a.ID], stats[b.ID]
		return -cmp.Compare(cpuOf(sa), cpuOf(sb))
	case byMemory:
		sa, sb := stats[a.ID], stats[b.ID]
		return -cmp.Compare(memOf(sa), memOf(sb))
	}
	return 0
}

// startKey sorts running rows by start time (oldest first), the rest after.
func startKey(r row) int64 {
	if r.State != "running" || r.StartedAt.IsZero() {
		return 1 << 62
	}
	return r.StartedAt.UnixNano()
}

func cpuOf(s *sample) float64 {
	if s == nil || !s.cpuOK {
		return -1
	}
	return s.cpu
}

func memOf(s *sample) uint64 {
	if s == nil {
		return 0
	}
	return s.memory
}

// matches reports whether the row passes the filter text.
func (r row) matches(filter string) bool {
	if filter == "" {
		return true
	}
	f := strings.ToLower(filter)
	return strings.Contains(strings.ToLower(r.Service), f) || strings.Contains(strings.ToLower(r.Image), f) ||
		strings.Contains(r.State, f)
}

// stateText is the state as the engine names it, with the exit code.
func (r row) stateText() string {
	s := r.State
	if s == "exited" || s == "dead" {
		s = fmt.Sprintf("%s (%d)", s, r.ExitCode)
	}
	if r.Orphan {
		s += " (orphan)"
	}
	return s
}

// why explains a row that is not ready yet: the dependency it waits on, or
// the output of its last health probe.
func (r row) why() string {
	switch {
	case r.waiting != "" && r.State != "running":
		return "waiting " + r.waiting
	case r.waiting != "" && r.Health == "starting":
		return "waiting " + r.waiting
	case r.blocked != "":
		return "waiting " + r.blocked
	case r.State == "running" && (r.Health == "starting" || r.Health == "unhealthy"):
		if out := format.OneLine(r.HealthLog, 0); out != "" {
			return "probe: " + out
		}
	}
	return ""
}

// healthText is the health of a running container. A stopped one has
// none: the engine keeps its last verdict (often "unhealthy", from the
// probes that failed while it shut down), which would say the wrong thing.
func (r row) healthText() string {
	if r.State != "running" {
		return "-"
	}
	return format.OrDash(r.Health)
}

// url is where the first published TCP port answers, or "".
func (r row) url() string {
	for _, p := range r.Ports {
		if p.HostPort == 0 || (p.Protocol != "" && p.Protocol != "tcp") {
			continue
		}
		host := p.HostIP
		switch {
		case format.AnyAddress(host):
			host = "127.0.0.1"
		case strings.Contains(host, ":"):
			host = "[" + host + "]"
		}
		return fmt.Sprintf("http://%s:%d/", host, p.HostPort)
	}
	return ""
}

// imageText is the image's last path element (name:tag) and the short ID of
// the image the container runs, as ps says it.
func (r row) imageText() string {
	name := r.Image
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if id := r.ImageID; id != "" {
		return name + " " + format.ShortDigest(id)
	}
	return name
}

// uptimeText is how long a running container has run.
func uptimeText(r row, now time.Time) string {
	if r.State != "running" || r.StartedAt.IsZero() {
		return format.Missing
	}
	return format.Age(now.Sub(r.StartedAt))
}

// nextUptimeChange is how long until uptimeText of r changes (0: never).
func nextUptimeChange(r row, now time.Time) time.Duration {
	if r.State != "running" || r.StartedAt.IsZero() {
		return 0
	}
	return format.AgeChangesIn(now.Sub(r.StartedAt))
}

func cpuText(s *sample) string {
	if s == nil || !s.cpuOK {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", s.cpu)
}

func memText(s *sample) string {
	if s == nil || s.memory == 0 {
		return format.Missing
	}
	return format.Bytes(int64(s.memory))
}
