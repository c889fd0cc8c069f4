package env

import "time"

// Kind says what an Event is about.
type Kind string

// Kinds of objects events are about.
const (
	KindService Kind = "service"
	KindNetwork Kind = "network"
	KindVolume  Kind = "volume"
	KindImage   Kind = "image"
)

// Status is the state an object reached or the step it began.
type Status string

// Statuses reported during up, down and the lifecycle commands.
const (
	StatusPulling    Status = "pulling"
	StatusPulled     Status = "pulled"
	StatusCreating   Status = "creating"
	StatusCreated    Status = "created"
	StatusRecreating Status = "recreating"
	StatusStarting   Status = "starting"
	StatusStarted    Status = "started"
	StatusWaiting    Status = "waiting"
	StatusHealthy    Status = "healthy"
	StatusCompleted  Status = "completed"
	StatusUpToDate   Status = "up-to-date"
	StatusFailed     Status = "failed"
	StatusSkipped    Status = "skipped"
	StatusStopping   Status = "stopping"
	StatusStopped    Status = "stopped"
	StatusRemoving   Status = "removing"
	StatusRemoved    Status = "removed"
)

// Done reports whether e ends its object's work in this run, as far as a
// progress display can tell: a service's "started" may still be followed by
// its health check.
func (e Event) Done() bool {
	switch e.Status {
	case StatusPulled, StatusBuilt, StatusHealthy, StatusCompleted, StatusUpToDate, StatusStarted,
		StatusFailed, StatusSkipped, StatusStopped, StatusRemoved,
		StatusPaused, StatusUnpaused, StatusKilled:
		return true
	case StatusCreated:
		return e.Kind != KindService
	}
	return false
}

// Event is one step of progress.
type Event struct {
	Time   time.Time `json:"time"`
	Kind   Kind      `json:"kind"`
	Name   string    `json:"name"` // service name, or the engine name of a network/volume/image
	Status Status    `json:"status"`
	Detail string    `json:"detail,omitempty"`
}

// Reporter receives progress events. It is called from several goroutines at
// once and must be safe for that; it must not block for long.
type Reporter interface {
	Report(Event)
}

// ReporterFunc adapts a function to Reporter.
type ReporterFunc func(Event)

// Report calls f(e).
func (f ReporterFunc) Report(e Event) { f(e) }

type discard struct{}

func (discard) Report(Event) {}

func reporterOr(r Reporter) Reporter {
	if r == nil {
		return discard{}
	}
	return r
}

func emit(r Reporter, k Kind, name string, s Status, detail string) {
	r.Report(Event{Time: time.Now(), Kind: k, Name: name, Status: s, Detail: detail})
}
