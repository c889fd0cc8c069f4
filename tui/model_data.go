package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/engine"
)

// psMsg is a full observation of the project.
type psMsg struct {
	rows []env.ServiceStatus
	err  error
}

// statusMsg is one container re-read after an event.
type statusMsg struct {
	id, service string
	st          env.ServiceStatus
	err         error
}

// statsTickMsg asks for a round of stats samples of loop gen.
type statsTickMsg struct{ gen int }

// statsMsg is a round of samples, by short container ID.
type statsMsg struct {
	gen     int
	samples map[string]engine.Stats
}

// clockMsg redraws the uptimes.
type clockMsg struct{ gen int }

// statsParallel bounds the concurrent one-shot stats calls of a round.
const statsParallel = 4

// onEngineUp observes the project again (events are subscribed already)
// and resumes what the outage stopped.
func (m *Model) onEngineUp() tea.Cmd {
	m.engineErr = nil
	cmds := []tea.Cmd{m.load(), m.startStats()}
	if m.logs.service != "" && m.logs.fol == nil {
		cmds = append(cmds, m.followLogs(m.logs.service))
	}
	return tea.Batch(cmds...)
}

// load observes the whole project, as devenv ps does.
func (m *Model) load() tea.Cmd {
	ctx, eng, p := m.rt.ctx, m.opts.Engine, m.opts.Project
	return func() tea.Msg {
		rows, err := env.Ps(ctx, eng, p)
		return psMsg{rows, err}
	}
}

func (m *Model) onPs(msg psMsg) tea.Cmd {
	if msg.err != nil {
		m.setStatus("reading the project: "+msg.err.Error(), true)
		return nil
	}
	m.svc.setRows(msg.rows)
	return m.startStats() // the rows on screen may have changed entirely
}

// onEvent re-reads the one container the event is about; events that
// arrive while it is being read cause one more read after it.
func (m *Model) onEvent(ev engine.Event) tea.Cmd {
	m.svc.applyEvent(ev)
	id := ev.ContainerID
	if m.inflight[id] {
		m.again[id] = true
		return nil
	}
	m.inflight[id] = true
	ctx, eng, p := m.rt.ctx, m.opts.Engine, m.opts.Project
	return func() tea.Msg {
		st, err := env.ContainerStatus(ctx, eng, p, id)
		return statusMsg{id: id, service: ev.Service, st: st, err: err}
	}
}

func (m *Model) onStatus(msg statusMsg) tea.Cmd {
	delete(m.inflight, msg.id)
	if m.again[msg.id] {
		// Older than the events since: the row has what they said, and
		// the read that follows brings the rest.
		delete(m.again, msg.id)
		return m.onEvent(engine.Event{ContainerID: msg.id, Service: msg.service})
	}
	switch {
	case errors.Is(msg.err, engine.ErrNotFound):
		s, configured := m.opts.Project.Services[msg.service]
		image := ""
		if configured {
			image = s.Image
		}
		m.svc.removeContainer(msg.id, msg.service, image, configured)
	case msg.err != nil:
		m.setStatus(fmt.Sprintf("reading %s: %v", msg.service, msg.err), true)
	default:
		m.svc.setContainer(msg.st)
	}
	return nil
}

// startStats begins a stats loop while the services tab is visible.
func (m *Model) startStats() tea.Cmd {
	m.statsGen++
	if m.opts.Stats == nil || m.tab != tabServices || m.engineErr != nil {
		return nil
	}
	gen := m.statsGen
	return func() tea.Msg { return statsTickMsg{gen} }
}

// onStatsTick samples the running containers on screen, at most
// statsParallel at a time.
func (m *Model) onStatsTick(msg statsTickMsg) tea.Cmd {
	if msg.gen != m.statsGen || m.tab != tabServices || m.engineErr != nil {
		return nil
	}
	var ids []string
	for _, r := range m.svc.onScreen() {
		if r.State == "running" && r.ID != "" {
			ids = append(ids, r.ID)
		}
	}
	ctx, src, gen := m.rt.ctx, m.opts.Stats, msg.gen
	return func() tea.Msg {
		return statsMsg{gen: gen, samples: sampleAll(ctx, src, ids)}
	}
}

func sampleAll(ctx context.Context, src StatsSource, ids []string) map[string]engine.Stats {
	var mu sync.Mutex
	out := map[string]engine.Stats{}
	sem := make(chan struct{}, statsParallel)
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			if s, err := src.ContainerStats(ctx, id); err == nil {
				mu.Lock()
				out[id] = s
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}

// onStats records a round and schedules the next: soon after a container's
// first sample (CPU needs two), else after the interval.
func (m *Model) onStats(msg statsMsg) tea.Cmd {
	if msg.gen != m.statsGen {
		return nil
	}
	next := m.opts.StatsInterval
	if m.idle(m.opts.Now()) {
		next = m.opts.IdleStatsInterval
	}
	for id, s := range msg.samples {
		prev := m.svc.stats[id]
		if prev == nil {
			m.svc.stats[id] = &sample{last: s, memory: s.Memory}
			next = min(next, time.Second)
			continue
		}
		prev.cpu, prev.cpuOK = engine.CPUPercent(prev.last, s)
		prev.last, prev.memory = s, s.Memory
	}
	if m.svc.sort == byCPU || m.svc.sort == byMemory {
		m.svc.refresh()
	}
	gen := msg.gen
	return m.tick(next, func(time.Time) tea.Msg { return statsTickMsg{gen} })
}

// scheduleClock keeps one tick pending for the next change of an uptime on
// screen; nothing ticks while no uptime is shown.
func (m *Model) scheduleClock() tea.Cmd {
	if m.tab != tabServices {
		return nil
	}
	now := m.opts.Now()
	d := m.svc.nextTick(now)
	if d == 0 {
		return nil
	}
	due := now.Add(d)
	if !m.clockDue.IsZero() && !due.Before(m.clockDue) {
		return nil // the pending tick comes first
	}
	m.clockGen++
	m.clockDue = due
	gen := m.clockGen
	return m.tick(d, func(time.Time) tea.Msg { return clockMsg{gen} })
}

// onProgress shows an action's event and what services wait for.
func (m *Model) onProgress(ev env.Event) {
	if ev.Kind == env.KindService {
		if ev.Status == env.StatusWaiting {
			m.svc.setWaiting(ev.Name, ev.Detail)
		} else if ev.Status != env.StatusCreating && ev.Status != env.StatusCreated {
			m.svc.setWaiting(ev.Name, "")
		}
	}
	for i, e := range m.progress {
		if e.Kind == ev.Kind && e.Name == ev.Name {
			m.progress[i] = ev
			return
		}
	}
	m.progress = append(m.progress, ev)
}

// progressText sums up the running action: how many objects are done and
// the latest event.
func (m *Model) progressText() string {
	done, last := 0, env.Event{}
	for _, e := range m.progress {
		if e.Done() {
			done++
		}
		if !e.Time.Before(last.Time) {
			last = e
		}
	}
	s := m.busy.String() + "…"
	if len(m.progress) > 0 {
		s += fmt.Sprintf(" %d/%d done · %s %s %s", done, len(m.progress), last.Name, last.Status, last.Detail)
	}
	return strings.TrimSpace(s)
}

func (m *Model) onActionDone(msg actionDoneMsg) tea.Cmd {
	m.busy, m.progress = nil, nil
	if msg.err != nil {
		first, _, _ := strings.Cut(msg.err.Error(), "\n")
		m.setStatus(msg.a.String()+" failed: "+first, true)
		return nil
	}
	m.setStatus(fmt.Sprintf("%s: done in %.1fs", msg.a, msg.took.Seconds()), false)
	return nil
}

func (m *Model) onExecDone(msg execDoneMsg) {
	if msg.err != nil {
		m.setStatus(fmt.Sprintf("shell in %s: %v", msg.service, msg.err), true)
		return
	}
	m.setStatus("shell in "+msg.service+" ended", false)
}
