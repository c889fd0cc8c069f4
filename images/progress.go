package images

import (
	"slices"
	"strings"
	"time"
)

// jsonMessage is one line of the engine's pull stream (the jsonmessage
// format of the docker CLI).
type jsonMessage struct {
	ID             string `json:"id"`
	Status         string `json:"status"`
	ProgressDetail struct {
		Current int64 `json:"current"`
		Total   int64 `json:"total"`
	} `json:"progressDetail"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
	Error string `json:"error"`
}

// errorText is the failure the message reports, or "".
func (m *jsonMessage) errorText() string {
	if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
		return m.ErrorDetail.Message
	}
	return m.Error
}

// throttle is the shortest interval between two events of one image that
// differ only in bytes.
const throttle = 100 * time.Millisecond

type layerPhase int

const (
	phaseQueued      layerPhase = iota // "Pulling fs layer", "Waiting"
	phaseDownloading                   // "Downloading", "Retrying in …"
	phaseDownloaded                    // "Verifying Checksum", "Download complete"
	phaseExtracting                    // "Extracting"
	phaseDone                          // "Pull complete", "Already exists"
)

// layerPhases maps the engine's per-layer statuses to phases; statuses not
// here (and messages without an id) are about the image, not a layer.
var layerPhases = map[string]layerPhase{
	"Pulling fs layer":   phaseQueued,
	"Waiting":            phaseQueued,
	"Downloading":        phaseDownloading,
	"Retrying":           phaseDownloading,
	"Verifying Checksum": phaseDownloaded,
	"Download complete":  phaseDownloaded,
	"Extracting":         phaseExtracting,
	"Pull complete":      phaseDone,
	"Already exists":     phaseDone,
}

type layer struct {
	phase          layerPhase
	current, total int64 // downloaded bytes; total 0 until the engine says
}

// progress aggregates one image's stream into Events. It is used by one
// goroutine.
type progress struct {
	base     Event             // Image and Services
	layers   map[string]*layer // by layer id
	status   Status
	digest   string // from "Digest: …"
	upToDate bool   // "Status: Image is up to date …"

	last     Event // last event emitted
	lastTime time.Time
}

func newProgress(image string, services []string) *progress {
	return &progress{
		base:   Event{Image: image, Services: services},
		layers: map[string]*layer{},
		status: StatusPulling,
	}
}

// apply folds one message into the state.
func (p *progress) apply(m *jsonMessage) {
	if d, ok := strings.CutPrefix(m.Status, "Digest: "); ok {
		p.digest = strings.TrimSpace(d)
		return
	}
	if strings.HasPrefix(m.Status, "Status: Image is up to date") {
		p.upToDate = true
		return
	}
	word, _, _ := strings.Cut(m.Status, " in ") // "Retrying in 5 seconds"
	phase, ok := layerPhases[word]
	if !ok {
		phase, ok = layerPhases[m.Status]
	}
	if m.ID == "" || !ok {
		return
	}
	l := p.layers[m.ID]
	if l == nil {
		l = &layer{}
		p.layers[m.ID] = l
	}
	l.phase = max(l.phase, phase) // a late "Waiting" does not undo progress
	if phase == phaseDownloading && m.ProgressDetail.Total > 0 {
		l.current, l.total = m.ProgressDetail.Current, m.ProgressDetail.Total
	}
	if l.phase >= phaseDownloaded && m.Status != "Already exists" {
		l.current = l.total
	}
}

// event returns the aggregated state at now, and whether to emit it: on a
// change of status or layer counts, or of bytes at most once per throttle.
func (p *progress) event(now time.Time) (Event, bool) {
	e := p.snapshot()
	e.Status = p.deriveStatus()
	p.status = e.Status
	changed := e.Status != p.last.Status || e.Layers != p.last.Layers || e.LayersDone != p.last.LayersDone
	moved := e.Current != p.last.Current || e.Total != p.last.Total
	if !changed && (!moved || now.Sub(p.lastTime) < throttle) {
		return e, false
	}
	e.Time = now
	p.last, p.lastTime = e, now
	return e, true
}

// snapshot sums the layers into an event without status or time.
func (p *progress) snapshot() Event {
	e := p.base
	e.Services = slices.Clone(e.Services)
	for _, l := range p.layers {
		e.Layers++
		if l.phase == phaseDone {
			e.LayersDone++
		}
		e.Current += l.current
		e.Total += l.total
	}
	return e
}

// deriveStatus is downloading while any layer is, else extracting while any
// layer is downloaded but not done; it keeps the last status otherwise, so
// that it does not fall back to pulling after the last layer.
func (p *progress) deriveStatus() Status {
	s := p.status
	for _, l := range p.layers {
		switch l.phase {
		case phaseDownloading:
			return StatusDownloading
		case phaseDownloaded, phaseExtracting:
			s = StatusExtracting
		}
	}
	return s
}

// final is the last event: pulled or up to date, all bytes in.
func (p *progress) final(now time.Time) Event {
	e := p.snapshot()
	e.Status = StatusPulled
	if p.upToDate {
		e.Status = StatusUpToDate
	}
	e.Time = now
	return e
}
