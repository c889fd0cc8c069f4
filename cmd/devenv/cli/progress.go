package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/images"
)

// progress renders library events (env's and images'); Close flushes what
// is pending.
type progress interface {
	env.Reporter
	images.Reporter
	Close()
}

// newProgress picks the renderer the --progress flag and the terminal ask for.
func (g *globals) newProgress() (progress, error) {
	switch g.progress {
	case "json":
		if g.jsonOut() {
			return &jsonProgress{w: g.stderr}, nil // stdout holds the result
		}
		return &jsonProgress{w: g.stdout}, nil
	case "plain":
		return &plainProgress{w: g.stderr}, nil
	case "tty":
		return newTTYProgress(g.stderr, colorEnabled()), nil
	case "auto", "":
		if isTerminal(g.stderr) {
			return newTTYProgress(g.stderr, colorEnabled()), nil
		}
		return &plainProgress{w: g.stderr}, nil
	}
	return nil, usageError{fmt.Errorf("--progress %q: use auto, tty, plain or json", g.progress)}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// colorEnabled honours NO_COLOR (https://no-color.org) and dumb terminals.
func colorEnabled() bool {
	if _, set := os.LookupEnv("NO_COLOR"); set {
		return false
	}
	return os.Getenv("TERM") != "dumb"
}

// jsonProgress writes one JSON object per event.
type jsonProgress struct {
	mu sync.Mutex
	w  io.Writer // guarded by mu
}

func (p *jsonProgress) Report(e env.Event) {
	b, _ := json.Marshal(e)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.w.Write(append(b, '\n'))
}

func (p *jsonProgress) Close() {}

// plainProgress writes one line per event.
type plainProgress struct {
	mu    sync.Mutex
	w     io.Writer                // guarded by mu
	pulls map[string]images.Status // guarded by mu: last state printed per image
}

func (p *plainProgress) Report(e env.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.w, plainLine(e))
}

func (p *plainProgress) Close() {}

func plainLine(e env.Event) string {
	line := fmt.Sprintf("%s %s: %s", e.Kind, e.Name, e.Status)
	switch {
	case e.Detail == "":
	case e.Status == env.StatusWaiting:
		line += " " + e.Detail
	default:
		line += " (" + e.Detail + ")"
	}
	return line
}

// ttyProgress keeps one line per object and redraws them in place.
type ttyProgress struct {
	mu      sync.Mutex
	w       io.Writer
	color   bool
	rows    []*ttyRow          // guarded by mu; in order of first appearance
	byKey   map[string]*ttyRow // guarded by mu
	drawn   int                // guarded by mu: lines drawn last time
	dirty   bool               // guarded by mu
	stop    chan struct{}
	stopped chan struct{}
}

type ttyRow struct {
	ev    env.Event
	begin time.Time
}

func newTTYProgress(w io.Writer, color bool) *ttyProgress {
	p := &ttyProgress{w: w, color: color, byKey: map[string]*ttyRow{}, stop: make(chan struct{}), stopped: make(chan struct{})}
	go p.loop()
	return p
}

func (p *ttyProgress) Report(e env.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := string(e.Kind) + " " + e.Name
	r, ok := p.byKey[key]
	if !ok {
		r = &ttyRow{begin: e.Time}
		p.byKey[key] = r
		p.rows = append(p.rows, r)
	}
	r.ev = e
	p.dirty = true
}

func (p *ttyProgress) loop() {
	defer close(p.stopped)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			p.draw(false)
		case <-p.stop:
			p.draw(true)
			return
		}
	}
}

func (p *ttyProgress) Close() {
	close(p.stop)
	<-p.stopped
}

var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

func (p *ttyProgress) draw(final bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.dirty && !p.anyPending() {
		return
	}
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn)
	}
	frame := spinner[int(time.Now().UnixMilli()/100)%len(spinner)]
	for _, r := range p.rows {
		b.WriteString("\x1b[2K")
		b.WriteString(p.line(r, frame, final))
		b.WriteString("\n")
	}
	p.drawn = len(p.rows)
	p.dirty = false
	io.WriteString(p.w, b.String())
}

func (p *ttyProgress) anyPending() bool {
	for _, r := range p.rows {
		if !r.ev.Done() {
			return true
		}
	}
	return false
}

func (p *ttyProgress) line(r *ttyRow, frame string, final bool) string {
	mark, color := frame, "33" // yellow while in progress
	switch {
	case r.ev.Status == env.StatusFailed:
		mark, color = "✘", "31"
	case r.ev.Status == env.StatusSkipped:
		mark, color = "-", "2"
	case r.ev.Done():
		mark, color = "✔", "32"
	case final:
		mark = "…"
	}
	elapsed := r.ev.Time.Sub(r.begin)
	if !r.ev.Done() {
		elapsed = time.Since(r.begin)
	}
	text := fmt.Sprintf("%s %-8s %-24s %-11s %5.1fs", mark, r.ev.Kind, r.ev.Name, r.ev.Status, elapsed.Seconds())
	if r.ev.Detail != "" {
		text += "  " + r.ev.Detail
	}
	if p.color {
		return "\x1b[" + color + "m" + text + "\x1b[0m"
	}
	return text
}
