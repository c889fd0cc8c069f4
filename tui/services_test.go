package tui

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/env/engine/enginetest"
	"github.com/devenv-dev/devenv/internal/format"
	"github.com/devenv-dev/devenv/tui/keytest"
)

func TestServicesListEveryServiceRunningFirst(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	if _, err := env.Up(t.Context(), f, p, env.UpOptions{Services: []string{"worker"}}); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, p, f, nil).loaded()
	var order []string
	for _, r := range h.m.svc.shown {
		order = append(order, r.Service+" "+r.State)
	}
	want := []string{"worker running", "db not created", "web not created"}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	view := h.view()
	if hdr := screenLine(view, "SERVICE"); !strings.Contains(hdr, "STATE") || !strings.Contains(hdr, "UPTIME") {
		t.Errorf("header %q", hdr)
	}
	if l := screenLine(view, "worker"); !strings.Contains(l, "running") || !strings.Contains(l, "worker:1") {
		t.Errorf("worker's row %q: want running and its image", l)
	}
}

func TestContainerEventChangesOnlyThatRow(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	upAll(t, f, p)
	h := newHarness(t, p, f, nil).loaded()
	before := slices.Clone(h.m.svc.rows)

	if err := f.Exit("demo-worker", 3); err != nil {
		t.Fatal(err)
	}
	// The die event re-reads that one container, and nothing observes the
	// whole project again.
	loads := h.loads
	h.waitFor("worker exited", func(m *Model) bool { return h.rowOf("worker").State == "exited" })
	for _, r := range h.m.svc.rows {
		var old row
		for _, b := range before {
			if b.Service == r.Service {
				old = b
			}
		}
		if r.Service == "worker" {
			if r.ExitCode != 3 {
				t.Errorf("worker's exit code %d, want 3", r.ExitCode)
			}
			continue
		}
		if diff := cmp.Diff(old, r, cmp.AllowUnexported(row{})); diff != "" {
			t.Errorf("row %s changed (-before +after):\n%s", r.Service, diff)
		}
	}
	h.settle(50 * time.Millisecond) // a window for a full observation that must not come
	if h.loads != loads {
		t.Errorf("an event caused %d full observations", h.loads-loads)
	}
	if l := screenLine(h.view(), "worker"); !strings.Contains(l, "exited (3)") {
		t.Errorf("worker's row %q, want exited (3)", l)
	}
}

func TestEventReadsOnlyItsContainer(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	upAll(t, f, p)
	h := newHarness(t, p, f, nil).loaded()
	obs, _ := f.Observe(t.Context(), "demo")
	var id string
	for _, c := range obs.Containers {
		if c.Service == "db" {
			id = c.ID
		}
	}
	_, cmd := h.m.Update(containerEventMsg{engine.Event{ContainerID: id, Service: "db", Action: "health_status", Health: "unhealthy"}})
	msg := cmd()
	st, ok := msg.(statusMsg)
	if !ok {
		t.Fatalf("an event's command gave %T, want one container's status", msg)
	}
	if st.id != id || st.err != nil || st.st.Service != "db" {
		t.Errorf("status %+v", st)
	}
	// A second event while the first read is in flight waits for it.
	if _, cmd := h.m.Update(containerEventMsg{engine.Event{ContainerID: id, Service: "db", Action: "start"}}); cmd != nil && cmd() != nil {
		t.Error("a second read of the same container started while one was in flight")
	}
	_, cmd = h.m.Update(st)
	if cmd == nil {
		t.Fatal("the event that came during the read did not cause one more read")
	}
	if _, ok := cmd().(statusMsg); !ok {
		t.Error("the read after the one in flight is not a status read")
	}
}

func TestRemovedContainerLeavesANotCreatedRow(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	upAll(t, f, p)
	h := newHarness(t, p, f, nil).loaded()
	if err := f.ContainerRemove(t.Context(), "demo-worker"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("worker not created", func(m *Model) bool { return h.rowOf("worker").State == env.StateNotCreated })
	if n := len(h.m.svc.rows); n != 3 {
		t.Errorf("%d rows, want 3", n)
	}
	// Created again from outside: the row takes the new container.
	if _, err := env.Up(t.Context(), f, p, env.UpOptions{Services: []string{"worker"}}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("worker running again", func(m *Model) bool { return h.rowOf("worker").State == "running" })
	if n := len(h.m.svc.rows); n != 3 {
		t.Errorf("%d rows, want 3", n)
	}
}

func TestSortCyclesAndFilterNarrows(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	upAll(t, f, p)
	h := newHarness(t, p, f, nil).loaded()
	if err := f.Exit("demo-db", 1); err != nil {
		t.Fatal(err)
	}
	h.waitFor("db exited", func(m *Model) bool { return h.rowOf("db").State == "exited" })
	names := func() string {
		var out []string
		for _, r := range h.m.svc.shown {
			out = append(out, r.Service)
		}
		return strings.Join(out, " ")
	}
	if got := names(); got != "web worker db" {
		t.Errorf("by state: %s, want running first", got)
	}
	h.press("S")
	if got := names(); got != "db web worker" || h.m.svc.sort != byName {
		t.Errorf("by name: %s", got)
	}
	if !strings.Contains(h.view(), "sorted by name") {
		t.Error("the status line does not say the sort key")
	}
	for range sortKeys - 1 {
		h.press("S")
	}
	if h.m.svc.sort != byState {
		t.Errorf("the sort key did not cycle back: %s", h.m.svc.sort)
	}

	h.press("/", "w", "o", "q")     // q goes into the filter, it does not quit
	h.settle(50 * time.Millisecond) // a window for a quit that must not come
	if h.quit || !h.m.svc.filtering || h.m.svc.filter.Value() != "woq" {
		t.Fatalf("q quit while typing a filter (quit %v, filter %q)", h.quit, h.m.svc.filter.Value())
	}
	h.press("backspace", "enter")
	if got := names(); got != "worker" {
		t.Errorf("filtered by \"wo\": %s", got)
	}
	h.m.svc.filter.SetValue("w")
	h.m.svc.refresh()
	if got := names(); got != "web worker" {
		t.Errorf("filtered by \"w\": %s", got)
	}
	h.press("esc")
	if got := names(); got != "web worker db" {
		t.Errorf("esc did not clear the filter: %s", got)
	}
}

func TestCursorMovesAndFollowsItsRow(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	upAll(t, f, p)
	h := newHarness(t, p, f, nil).loaded()
	h.press("j")
	h.update(keytest.Press("down"))
	if r, _ := h.m.svc.current(); r.Service != "worker" {
		t.Fatalf("after two moves down: %s", r.Service)
	}
	h.press("k")
	if r, _ := h.m.svc.current(); r.Service != "web" {
		t.Fatalf("after one up: %s", r.Service)
	}
	// web exits and sorts last; the cursor stays on web.
	if err := f.Exit("demo-web", 0); err != nil {
		t.Fatal(err)
	}
	h.waitFor("web exited", func(m *Model) bool { return h.rowOf("web").State == "exited" })
	if r, _ := h.m.svc.current(); r.Service != "web" || h.m.svc.cursor != 2 {
		t.Errorf("selected %s at %d, want web, now last", r.Service, h.m.svc.cursor)
	}
	if l := screenLine(h.view(), "web"); !strings.HasPrefix(l, "> ") {
		t.Errorf("web's row %q is not marked selected", l)
	}
}

func TestEngineUnreachableShowsBannerAndRecovers(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	upAll(t, f, p)
	h := newHarness(t, p, f, nil).loaded()
	f.SetUnreachable(true)
	f.BreakEvents(errors.New("connection refused"))
	h.waitFor("the banner", func(m *Model) bool { return m.engineErr != nil })
	if !strings.Contains(h.view(), "Docker Engine unreachable") {
		t.Errorf("no banner on the screen:\n%s", h.view())
	}
	// A change while the engine is away is seen after it comes back.
	if err := f.Exit("demo-worker", 2); err != nil {
		t.Fatal(err)
	}
	f.SetUnreachable(false)
	h.waitFor("the banner to clear", func(m *Model) bool { return m.engineErr == nil })
	h.waitFor("the change made during the outage", func(m *Model) bool { return h.rowOf("worker").State == "exited" })
	if strings.Contains(h.view(), "unreachable") {
		t.Errorf("the banner stayed:\n%s", h.view())
	}
	for _, l := range strings.Split(h.view(), "\n") {
		if len([]rune(l)) > 80 {
			t.Errorf("line wider than the window: %q", l)
		}
	}
}

func TestResizeRelaysOut(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	upAll(t, f, p)
	h := newHarness(t, p, f, nil).loaded()
	for _, size := range [][2]int{{80, 24}, {60, 12}, {120, 40}, {40, 8}} {
		h.update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		for _, tab := range []string{"1", "2"} {
			h.press(tab)
			view := h.view()
			lines := strings.Split(view, "\n")
			if len(lines) != size[1] {
				t.Errorf("%dx%d tab %s: %d lines\n%s", size[0], size[1], tab, len(lines), view)
			}
			for _, l := range lines {
				if w := len([]rune(l)); w > size[0] {
					t.Errorf("%dx%d tab %s: line of %d columns: %q", size[0], size[1], tab, w, l)
				}
			}
		}
		h.press("1")
	}
}

func TestUptimeTicksWhenItsTextChanges(t *testing.T) {
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	r := row{ServiceStatus: env.ServiceStatus{State: "running", StartedAt: start}}
	tests := []struct {
		after    time.Duration
		text     string
		nextTick time.Duration
	}{
		{0, "0s", time.Second},
		{42*time.Second + 300*time.Millisecond, "42s", 700 * time.Millisecond},
		{5*time.Minute + 10*time.Second, "5m10s", time.Second},
		{3*time.Hour + 7*time.Minute, "3h07m", time.Minute},
		{50*time.Hour + 30*time.Minute, "2d2h", 30 * time.Minute},
	}
	for _, tt := range tests {
		now := start.Add(tt.after)
		if got := uptimeText(r, now); got != tt.text {
			t.Errorf("after %s: %q, want %q", tt.after, got, tt.text)
		}
		if got := nextUptimeChange(r, now); got != tt.nextTick {
			t.Errorf("after %s: next change in %s, want %s", tt.after, got, tt.nextTick)
		}
	}
	if got := nextUptimeChange(row{ServiceStatus: env.ServiceStatus{State: "exited"}}, start); got != 0 {
		t.Errorf("an exited row ticks in %s", got)
	}
}

func TestCellTexts(t *testing.T) {
	r := row{ServiceStatus: env.ServiceStatus{
		Image: "registry.example/team/web:2", ImageID: "0123456789ab", State: "running",
		Ports: []engine.PublishedPort{
			{HostIP: "0.0.0.0", HostPort: 8080, ContainerPort: 80, Protocol: "tcp"},
			{HostIP: "::", HostPort: 8080, ContainerPort: 80, Protocol: "tcp"},
			{HostIP: "10.0.0.1", HostPort: 5353, ContainerPort: 53, Protocol: "udp"},
		},
	}}
	if got := r.imageText(); got != "web:2 0123456789ab" {
		t.Errorf("image %q", got)
	}
	if got := format.Ports(r.Ports); got != "8080->80,10.0.0.1:5353->53/udp" {
		t.Errorf("ports %q", got)
	}
	if got := r.url(); got != "http://127.0.0.1:8080/" {
		t.Errorf("url %q", got)
	}
	if got := memText(&sample{memory: 3 << 20}); got != "3.0 MiB" {
		t.Errorf("memory %q", got)
	}
	if got := cpuText(&sample{cpu: 12.345, cpuOK: true}); got != "12.3%" {
		t.Errorf("cpu %q", got)
	}
	r.State, r.Health, r.HealthLog = "running", "unhealthy", "dial tcp: connection refused\n"
	if got := r.why(); got != "probe: dial tcp: connection refused" {
		t.Errorf("why %q", got)
	}
	if got := r.healthText(); got != "unhealthy" {
		t.Errorf("health of a running container %q", got)
	}
	r.State = "exited" // the engine keeps the last verdict of a stopped container
	if got, why := r.healthText(), r.why(); got != "-" || why != "" {
		t.Errorf("an exited container: health %q, why %q; want - and nothing", got, why)
	}
	r.waiting = "for db to be healthy"
	r.State, r.Health = "created", ""
	if got := r.why(); got != "waiting for db to be healthy" {
		t.Errorf("why %q", got)
	}
}

func TestCreatedContainerSaysWhichDependencyItWaitsFor(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	f.OnStart = func(spec engine.ContainerSpec) enginetest.Behaviour {
		// db never gets healthy by itself
		return enginetest.Behaviour{Health: "starting", Exec: failingProbe("not yet")}
	}
	// Another terminal's up: web is created and waits for db.
	go env.Up(t.Context(), f, p, env.UpOptions{Timeout: 3 * time.Second})
	h := newHarness(t, p, f, nil).loaded()
	h.waitFor("web created and waiting for db", func(m *Model) bool {
		return h.rowOf("web").State == "created" && h.rowOf("web").why() == "waiting for db to be healthy" &&
			h.rowOf("db").State == "running"
	})
	if err := f.SetHealth("demo-db", "healthy"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("web running", func(m *Model) bool { return h.rowOf("web").State == "running" })
	if why := h.rowOf("web").why(); why != "" {
		t.Errorf("running web still says %q", why)
	}
}

func TestEventShowsAtOnceBeforeTheReRead(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	upAll(t, f, p)
	h := newHarness(t, p, f, nil).loaded()
	id := h.rowOf("worker").ID
	at := time.Now().Add(time.Minute)
	steps := []struct {
		ev    engine.Event
		check func(r row) bool
	}{
		{engine.Event{Action: "die", ExitCode: 137}, func(r row) bool { return r.State == "exited" && r.ExitCode == 137 }},
		{engine.Event{Action: "start", Time: at}, func(r row) bool { return r.State == "running" && r.StartedAt.Equal(at) }},
		{engine.Event{Action: "health_status", Health: "unhealthy"}, func(r row) bool { return r.Health == "unhealthy" }},
	}
	for _, s := range steps {
		s.ev.ContainerID, s.ev.Service = id+"0123456789", "worker"
		h.m.Update(containerEventMsg{s.ev}) // its re-read is not run
		if r := h.rowOf("worker"); !s.check(r) {
			t.Errorf("after %s: row %+v", s.ev.Action, r.ServiceStatus)
		}
	}
	if l := screenLine(h.view(), "worker"); !strings.Contains(l, "running") || !strings.Contains(l, "unhealthy") {
		t.Errorf("worker's row %q", l)
	}
}
