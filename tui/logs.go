package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/devenv-dev/devenv/env"
)

// ring is the last lines of one service's log.
type ring struct {
	entries []env.LogEntry
	dropped int // entries dropped from the front since the start
}

// add appends entries and drops the oldest beyond limit, a quarter of the
// limit at a time so that a busy log does not copy on every batch.
func (r *ring) add(entries []env.LogEntry, limit int) {
	for _, e := range entries {
		e.Text = strings.ReplaceAll(ansi.Strip(e.Text), "\t", "    ")
		r.entries = append(r.entries, e)
	}
	if over := len(r.entries) - limit; over > limit/4 {
		n := copy(r.entries, r.entries[over:])
		r.entries = r.entries[:n]
		r.dropped += over
	}
}

// visible is the entries the view may show: the last limit.
func (r *ring) visible(limit int) []env.LogEntry {
	return r.entries[max(0, len(r.entries)-limit):]
}

// logView shows one service's log, following it.
type logView struct {
	keys      logKeys
	limit     int
	service   string
	rings     map[string]*ring
	fol       *follower // nil when not following
	ended     string    // why the follow ended, when it did
	paused    bool
	unseen    int // lines that arrived while paused or scrolled up
	scroll    int // entries below the bottom of the window; 0 shows the newest
	wrap      bool
	times     bool
	search    textinput.Model
	searching bool // the search field has the focus
	query     string
	match     int // absolute index of the current match; -1 for none
	width     int
	height    int
}

func newLogView(limit int) logView {
	return logView{keys: newLogKeys(), limit: limit, rings: map[string]*ring{}, search: TextInput("search: ", ""), match: -1}
}

func (v *logView) ring() *ring {
	r := v.rings[v.service]
	if r == nil {
		r = &ring{}
		v.rings[v.service] = r
	}
	return r
}

// append adds a batch of the followed service's lines.
func (v *logView) append(entries []env.LogEntry) {
	v.ring().add(entries, v.limit)
	if v.paused || v.scroll > 0 {
		v.scroll += len(entries)
		v.unseen += len(entries)
	}
	v.clampScroll()
}

func (v *logView) clampScroll() {
	n := len(v.ring().visible(v.limit))
	v.scroll = max(0, min(v.scroll, n-1))
}

// update handles a key; handled is false for keys the view does not know.
func (v *logView) update(msg tea.KeyPressMsg) (cmd tea.Cmd, handled bool) {
	if v.searching {
		switch msg.Code {
		case tea.KeyEnter:
			v.searching = false
			v.search.Blur()
			v.query = v.search.Value()
			v.match = -1
			v.findMatch(-1)
		case tea.KeyEscape:
			v.searching = false
			v.search.Blur()
		default:
			v.search, cmd = v.search.Update(msg)
		}
		return cmd, true
	}
	k := v.keys
	page := max(1, v.height-2)
	switch {
	case key.Matches(msg, k.Up):
		v.scroll++
	case key.Matches(msg, k.Down):
		v.scroll--
	case key.Matches(msg, k.PageUp):
		v.scroll += page
	case key.Matches(msg, k.PageDown):
		v.scroll -= page
	case key.Matches(msg, k.Top):
		v.scroll = len(v.ring().visible(v.limit))
	case key.Matches(msg, k.Bottom):
		v.scroll, v.paused = 0, false
	case key.Matches(msg, k.Pause):
		v.paused = !v.paused
		if !v.paused {
			v.scroll = 0
		}
	case key.Matches(msg, k.Search):
		v.searching = true
		v.search.SetValue("")
		return v.search.Focus(), true
	case key.Matches(msg, k.Next):
		v.findMatch(-1)
	case key.Matches(msg, k.Prev):
		v.findMatch(+1)
	case key.Matches(msg, k.Wrap):
		v.wrap = !v.wrap
	case key.Matches(msg, k.Times):
		v.times = !v.times
	default:
		return nil, false
	}
	v.clampScroll()
	if v.scroll == 0 && !v.paused {
		v.unseen = 0
	}
	return nil, true
}

// findMatch moves to the next match of the query in direction dir (-1
// older, +1 newer) from the current one, or from the bottom of the window.
func (v *logView) findMatch(dir int) {
	if v.query == "" {
		return
	}
	r := v.ring()
	entries := r.visible(v.limit)
	base := r.dropped + len(r.entries) - len(entries) // absolute index of entries[0]
	from := len(entries) - v.scroll                   // one past the bottom line
	if v.match >= base && v.match < base+len(entries) {
		from = v.match - base
	} else if dir > 0 {
		from = len(entries) - 1 - v.scroll
	}
	q := strings.ToLower(v.query)
	for i := from + dir; i >= 0 && i < len(entries); i += dir {
		if strings.Contains(strings.ToLower(entries[i].Text), q) {
			v.match = base + i
			v.scroll = len(entries) - 1 - i
			return
		}
	}
}

func (v *logView) help() []key.Binding {
	k := v.keys
	return []key.Binding{k.Back, k.Pause, k.Search, k.Next, k.Wrap, k.Times, k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
}

// view draws the log into v.width x v.height: a title line, then the lines
// that end scroll entries above the newest.
func (v *logView) view() string {
	if v.service == "" {
		return fill("Select a service on the Services tab and press enter to follow its log.", v.width, v.height)
	}
	body := v.lines(max(0, v.height-1))
	return v.title() + "\n" + strings.Join(body, "\n")
}

func (v *logView) title() string {
	if v.searching {
		return FitLine(v.search.View(), v.width)
	}
	state := "following"
	switch {
	case v.ended != "":
		state = "stopped: " + v.ended
	case v.paused:
		state = "PAUSED"
	case v.scroll > 0:
		state = "scrolled back"
	}
	if v.unseen > 0 && (v.paused || v.scroll > 0) {
		state += fmt.Sprintf(" (%d new)", v.unseen)
	}
	n := len(v.ring().visible(v.limit))
	count := fmt.Sprintf("%d lines", n)
	if n == 1 {
		count = "1 line"
	}
	parts := []string{styleTitle.Render(v.service), state, count}
	if v.wrap {
		parts = append(parts, "wrap")
	}
	if v.query != "" {
		parts = append(parts, "/"+v.query)
	}
	return FitLine(strings.Join(parts, " · "), v.width)
}

// lines renders the n screen lines that end at the bottom of the window.
func (v *logView) lines(n int) []string {
	r := v.ring()
	entries := r.visible(v.limit)
	base := r.dropped + len(r.entries) - len(entries)
	var out []string // bottom-up
	for i := len(entries) - 1 - v.scroll; i >= 0 && len(out) < n; i-- {
		rows := v.render(entries[i], base+i == v.match)
		for j := len(rows) - 1; j >= 0 && len(out) < n; j-- {
			out = append(out, rows[j])
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	for len(out) < n { // a short log starts at the top
		out = append(out, "")
	}
	return out
}

// render is one entry as one screen line, or several when wrapping.
func (v *logView) render(e env.LogEntry, current bool) []string {
	text := e.Text
	if v.times && !e.Time.IsZero() {
		text = e.Time.Local().Format("15:04:05.000") + " " + text
	}
	var rows []string
	if v.wrap && v.width > 0 {
		rows = strings.Split(ansi.Hardwrap(text, v.width, true), "\n")
	} else {
		rows = []string{ansi.Truncate(text, v.width, "…")}
	}
	if v.query != "" {
		for i := range rows {
			rows[i] = highlight(rows[i], v.query, current)
		}
	}
	return rows
}

// highlight marks the occurrences of q in s; the current match's line is
// marked whole.
func highlight(s, q string, current bool) string {
	if current {
		return styleMatch.Render(s)
	}
	lower, lq := strings.ToLower(s), strings.ToLower(q)
	if len(lower) != len(s) || len(lq) != len(q) {
		return s // case folding changed byte offsets: leave unmarked
	}
	var b strings.Builder
	for {
		i := strings.Index(lower, lq)
		if i < 0 || lq == "" {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(styleMatch.Render(s[i : i+len(q)]))
		s, lower = s[i+len(q):], lower[i+len(q):]
	}
}
