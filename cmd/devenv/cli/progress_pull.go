package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/images"
	"github.com/devenv-dev/devenv/internal/format"
)

// ReportPull writes one JSON object per pull event, marked kind "image".
func (p *jsonProgress) ReportPull(e images.Event) {
	b, _ := json.Marshal(struct {
		Kind string `json:"kind"`
		images.Event
	}{"image", e})
	p.mu.Lock()
	defer p.mu.Unlock()
	p.w.Write(append(b, '\n'))
}

// ReportPull writes a line when an image's state changes, not for bytes.
func (p *plainProgress) ReportPull(e images.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pulls == nil {
		p.pulls = map[string]images.Status{}
	}
	if p.pulls[e.Image] == e.Status {
		return
	}
	p.pulls[e.Image] = e.Status
	fmt.Fprintln(p.w, plainLine(pullEvent(e, false)))
}

// ReportPull shows an image as a row with a progress bar.
func (p *ttyProgress) ReportPull(e images.Event) { p.Report(pullEvent(e, true)) }

// pullEvent turns a pull event into a progress row.
func pullEvent(e images.Event, bar bool) env.Event {
	ev := env.Event{Time: e.Time, Kind: env.KindImage, Name: e.Image, Status: env.Status(e.Status)}
	switch e.Status {
	case images.StatusPulled:
		ev.Status = env.StatusPulled
		if e.Layers > 0 {
			ev.Detail = fmt.Sprintf("%d layers, %s", e.Layers, format.Bytes(e.Total))
		}
	case images.StatusUpToDate:
		ev.Status = env.StatusUpToDate
	case images.StatusFailed:
		ev.Status = env.StatusFailed
		ev.Detail = e.Error
	case images.StatusDownloading, images.StatusExtracting:
		if bar {
			ev.Detail = progressBar(e)
		}
	}
	return ev
}

func progressBar(e images.Event) string {
	const width = 20
	filled := 0
	if e.Total > 0 {
		filled = int(min(e.Current, e.Total) * width / e.Total)
	}
	return fmt.Sprintf("[%s%s] %s/%s  %d/%d layers", strings.Repeat("=", filled), strings.Repeat(" ", width-filled),
		format.Bytes(e.Current), format.Bytes(e.Total), e.LayersDone, e.Layers)
}
