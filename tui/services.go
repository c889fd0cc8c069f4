package tui

import (
	"slices"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/internal/format"
)

// services is the table of the project's services.
type services struct {
	keys      tableKeys
	rows      []row              // every row, sorted by sort
	shown     []row              // rows passing the filter, in order
	stats     map[string]*sample // by short container ID
	sort      sortKey
	filter    textinput.Model
	filtering bool   // the filter field has the focus
	selected  string // key of the selected row
	cursor    int    // index of the selected row in shown
	offset    int    // index in shown of the first row on screen
	width     int
	height    int // lines for the table, header included
	loaded    bool
	deps      map[string]map[string]config.Dependency // envs.yaml's depends_on, by service
}

func newServices(p *config.Project) services {
	ti := TextInput("/", "filter")
	deps := map[string]map[string]config.Dependency{}
	for name, svc := range p.Services {
		deps[name] = svc.DependsOn
	}
	return services{keys: newTableKeys(), stats: map[string]*sample{}, filter: ti, deps: deps}
}

// setRows replaces every row with a fresh observation.
func (s *services) setRows(statuses []env.ServiceStatus) {
	waiting := map[string]string{}
	for _, r := range s.rows {
		waiting[r.Service] = r.waiting
	}
	s.rows = s.rows[:0]
	live := map[string]bool{}
	for _, st := range statuses {
		s.rows = append(s.rows, row{ServiceStatus: st, waiting: waiting[st.Service]})
		live[st.ID] = true
	}
	for id := range s.stats {
		if !live[id] {
			delete(s.stats, id)
		}
	}
	s.loaded = true
	s.refresh()
}

// setContainer puts one re-read container in place: its own row, else the
// row of its service that has no container. Nothing else changes.
func (s *services) setContainer(st env.ServiceStatus) {
	r := row{ServiceStatus: st}
	for i := range s.rows {
		if s.rows[i].ID == st.ID || (s.rows[i].ID == "" && s.rows[i].Service == st.Service) {
			r.waiting = s.rows[i].waiting
			if s.selected == s.rows[i].key() {
				s.selected = r.key()
			}
			s.rows[i] = r
			s.refresh()
			return
		}
	}
	s.rows = append(s.rows, r)
	s.refresh()
}

// applyEvent shows at once what an event says of its container's state;
// the container's re-read that the event causes brings the rest.
func (s *services) applyEvent(ev engine.Event) {
	id := format.ShortDigest(ev.ContainerID)
	for i := range s.rows {
		r := &s.rows[i]
		if r.ID != id {
			continue
		}
		switch ev.Action {
		case "start", "unpause":
			r.State, r.ExitCode = "running", 0
			if ev.Action == "start" && !ev.Time.IsZero() {
				r.StartedAt = ev.Time
			}
		case "die":
			r.State, r.ExitCode, r.Health = "exited", ev.ExitCode, ""
		case "pause":
			r.State = "paused"
		case "health_status":
			r.Health = ev.Health
		default:
			return
		}
		s.refresh()
		return
	}
}

// removeContainer drops the row of a container that is gone; a configured
// service keeps a row without a container.
func (s *services) removeContainer(id, service, image string, configured bool) {
	id = format.ShortDigest(id)
	kept := s.rows[:0]
	others := false
	for _, r := range s.rows {
		if r.ID == id {
			continue
		}
		others = others || r.Service == service
		kept = append(kept, r)
	}
	s.rows = kept
	if configured && !others {
		s.rows = append(s.rows, row{ServiceStatus: env.ServiceStatus{Service: service, State: env.StateNotCreated, Image: image}})
	}
	delete(s.stats, id)
	s.refresh()
}

// setWaiting records what an up says a service waits for ("" when it got going).
func (s *services) setWaiting(service, what string) {
	for i := range s.rows {
		if s.rows[i].Service == service {
			s.rows[i].waiting = what
		}
	}
	s.refresh()
}

// refresh sorts, filters and keeps the selection on the same row.
func (s *services) refresh() {
	sortRows(s.rows, s.sort, s.stats)
	s.findBlocked()
	f := s.filter.Value()
	s.shown = s.shown[:0]
	s.cursor = -1
	for _, r := range s.rows {
		if r.matches(f) {
			if r.key() == s.selected {
				s.cursor = len(s.shown)
			}
			s.shown = append(s.shown, r)
		}
	}
	if s.cursor < 0 {
		s.cursor = 0
	}
	s.moveTo(s.cursor)
}

// findBlocked sets what each created container waits for.
func (s *services) findBlocked() {
	byService := map[string]row{}
	for _, r := range s.rows {
		if _, seen := byService[r.Service]; !seen || r.State == "running" {
			byService[r.Service] = r
		}
	}
	for i := range s.rows {
		r := &s.rows[i]
		r.blocked = ""
		if r.State != "created" {
			continue
		}
		names := make([]string, 0, len(s.deps[r.Service]))
		for d := range s.deps[r.Service] {
			names = append(names, d)
		}
		slices.Sort(names)
		for _, d := range names {
			cond := s.deps[r.Service][d].Condition
			if !conditionHolds(byService[d], cond) {
				r.blocked = "for " + d + " to " + conditionVerb(cond)
				break
			}
		}
	}
}

// conditionHolds tells whether a dependency's row meets a depends_on condition.
func conditionHolds(dep row, cond config.Condition) bool {
	switch cond {
	case config.ServiceHealthy:
		return dep.State == "running" && dep.Health == "healthy"
	case config.ServiceCompletedSuccessfully:
		return dep.State == "exited" && dep.ExitCode == 0
	}
	return dep.State == "running"
}

func conditionVerb(cond config.Condition) string {
	switch cond {
	case config.ServiceHealthy:
		return "be healthy"
	case config.ServiceCompletedSuccessfully:
		return "complete"
	}
	return "start"
}

// moveTo selects shown[i] (clamped) and scrolls it into view.
func (s *services) moveTo(i int) {
	if len(s.shown) == 0 {
		s.cursor, s.offset, s.selected = 0, 0, ""
		return
	}
	s.cursor = max(0, min(i, len(s.shown)-1))
	s.selected = s.shown[s.cursor].key()
	n := s.visibleCount()
	if s.cursor < s.offset {
		s.offset = s.cursor
	}
	if s.cursor >= s.offset+n {
		s.offset = s.cursor - n + 1
	}
	s.offset = max(0, min(s.offset, len(s.shown)-n))
}

// visibleCount is how many rows fit below the header.
func (s *services) visibleCount() int { return max(1, s.height-1) }

// current is the selected row, if any.
func (s *services) current() (row, bool) {
	if s.cursor < len(s.shown) {
		return s.shown[s.cursor], true
	}
	return row{}, false
}

// onScreen is the rows drawn now.
func (s *services) onScreen() []row {
	end := min(len(s.shown), s.offset+s.visibleCount())
	return s.shown[s.offset:end]
}

// nextTick is when the uptime of a row on screen changes next (0: never).
func (s *services) nextTick(now time.Time) time.Duration {
	var next time.Duration
	for _, r := range s.onScreen() {
		if d := nextUptimeChange(r, now); d > 0 && (next == 0 || d < next) {
			next = d
		}
	}
	return next
}

// update handles a key; handled is false for keys the table does not know.
func (s *services) update(msg tea.KeyPressMsg) (cmd tea.Cmd, handled bool) {
	if s.filtering {
		switch msg.Code {
		case tea.KeyEnter:
			s.filtering = false
			s.filter.Blur()
		case tea.KeyEscape:
			s.filtering = false
			s.filter.Blur()
			s.filter.SetValue("")
		default:
			s.filter, cmd = s.filter.Update(msg)
		}
		s.refresh()
		return cmd, true
	}
	k := s.keys
	switch {
	case key.Matches(msg, k.Up):
		s.moveTo(s.cursor - 1)
	case key.Matches(msg, k.Down):
		s.moveTo(s.cursor + 1)
	case key.Matches(msg, k.Top):
		s.moveTo(0)
	case key.Matches(msg, k.Bottom):
		s.moveTo(len(s.shown) - 1)
	case key.Matches(msg, k.PageUp):
		s.moveTo(s.cursor - s.visibleCount())
	case key.Matches(msg, k.PageDown):
		s.moveTo(s.cursor + s.visibleCount())
	case key.Matches(msg, k.Filter):
		s.filtering = true
		return s.filter.Focus(), true
	case key.Matches(msg, k.Sort):
		s.sort = (s.sort + 1) % sortKeys
		s.refresh()
	case key.Matches(msg, k.Clear) && s.filter.Value() != "":
		s.filter.SetValue("")
		s.refresh()
	default:
		return nil, false
	}
	return nil, true
}

func (s *services) help() []key.Binding {
	k := s.keys
	return []key.Binding{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown, k.Logs, k.Filter, k.Sort, k.Clear}
}
