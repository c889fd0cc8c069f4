package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/engine"
)

func logLines(prefix string, n int) []engine.LogLine {
	var out []engine.LogLine
	for i := range n {
		out = append(out, engine.LogLine{Text: fmt.Sprintf("%s %d", prefix, i)})
	}
	return out
}

// openLogs selects service and opens its log with enter.
func openLogs(t *testing.T, h *harness, service string) {
	t.Helper()
	h.selectService(service)
	h.press("enter")
	if h.m.tab != tabLogs || h.m.logs.service != service {
		t.Fatalf("enter on %s: tab %d, log of %q", service, h.m.tab, h.m.logs.service)
	}
}

func TestLogsFollowTheSelectedService(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	upAll(t, f, p)
	if err := f.WriteLog("demo-web", logLines("old", 3)...); err != nil {
		t.Fatal(err)
	}
	if err := f.WriteLog("demo-db", logLines("db line", 3)...); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, p, f, nil).loaded()
	openLogs(t, h, "web")
	h.waitFor("web's old lines", func(m *Model) bool { return strings.Contains(m.text(), "old 2") })
	if err := f.WriteLog("demo-web", engine.LogLine{Text: "fresh line"}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the new line", func(m *Model) bool { return strings.Contains(m.text(), "fresh line") })
	if strings.Contains(h.view(), "db line") {
		t.Error("db's log shows in web's")
	}
	if !strings.Contains(h.view(), "Logs: web") {
		t.Errorf("the tab does not name the service:\n%s", h.view())
	}
	h.press("esc")
	if h.m.tab != tabServices {
		t.Errorf("esc: tab %d, want the services", h.m.tab)
	}
	// l opens too; another service replaces the follow.
	h.selectService("db")
	h.press("l")
	h.waitFor("db's lines", func(m *Model) bool { return strings.Contains(m.text(), "db line 2") })
	if strings.Contains(h.view(), "fresh line") {
		t.Error("web's log shows in db's")
	}
}

func TestLogsFollowAcrossARestart(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	upAll(t, f, p)
	h := newHarness(t, p, f, nil).loaded()
	openLogs(t, h, "worker")
	if err := f.Exit("demo-worker", 0); err != nil {
		t.Fatal(err)
	}
	if err := f.ContainerStart(t.Context(), "demo-worker"); err != nil {
		t.Fatal(err)
	}
	if err := f.WriteLog("demo-worker", engine.LogLine{Text: "after restart"}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the line after the restart", func(m *Model) bool { return strings.Contains(m.text(), "after restart") })
}

func TestLogsPauseScrollAndSearch(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	upAll(t, f, p)
	if err := f.WriteLog("demo-web", logLines("line", 100)...); err != nil {
		t.Fatal(err)
	}
	if err := f.WriteLog("demo-web", engine.LogLine{Text: "a NEEDLE here"}); err != nil {
		t.Fatal(err)
	}
	if err := f.WriteLog("demo-web", logLines("tail", 40)...); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, p, f, nil).loaded()
	openLogs(t, h, "web")
	h.waitFor("the last line", func(m *Model) bool { return strings.Contains(m.text(), "tail 39") })

	h.press("space")
	if !strings.Contains(h.view(), "PAUSED") {
		t.Fatalf("no PAUSED after space:\n%s", h.view())
	}
	if err := f.WriteLog("demo-web", engine.LogLine{Text: "while paused"}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the line to arrive", func(m *Model) bool { return m.logs.unseen == 1 })
	if v := h.view(); strings.Contains(v, "while paused") || !strings.Contains(v, "tail 39") || !strings.Contains(v, "1 new") {
		t.Errorf("the paused view moved:\n%s", v)
	}
	h.press("p")
	if v := h.view(); !strings.Contains(v, "while paused") || strings.Contains(v, "PAUSED") {
		t.Errorf("p did not resume at the end:\n%s", v)
	}

	h.press("/", "n", "e", "e", "d", "l", "e", "enter")
	v := h.view()
	if !strings.Contains(v, "a NEEDLE here") || strings.Contains(v, "tail 39") {
		t.Errorf("the search did not scroll to the match:\n%s", v)
	}
	if h.m.logs.match < 0 || !strings.Contains(v, "/needle") {
		t.Errorf("no current match (%d) or query in the title", h.m.logs.match)
	}
	h.press("n")
	if !strings.Contains(h.view(), "a NEEDLE here") {
		t.Error("n with no older match moved away from the only one")
	}
	h.press("G")
	if v := h.view(); !strings.Contains(v, "while paused") || !strings.Contains(v, "following") {
		t.Errorf("G did not follow the end again:\n%s", v)
	}
	h.press("k", "k")
	if h.m.logs.scroll != 2 || !strings.Contains(h.view(), "scrolled back") {
		t.Errorf("k k: scroll %d", h.m.logs.scroll)
	}
}

func TestLogsWrapAndTimestamps(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	upAll(t, f, p)
	long := strings.Repeat("x", 100) + "END"
	at := time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.Local)
	if err := f.WriteLog("demo-web", engine.LogLine{Text: long, Time: at}); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, p, f, nil).loaded()
	openLogs(t, h, "web")
	h.waitFor("the long line", func(m *Model) bool { return strings.Contains(m.text(), "xxxx") })
	if strings.Contains(h.view(), "END") {
		t.Error("a line wider than the window is not cut without wrap")
	}
	h.press("w")
	if !strings.Contains(h.view(), "END") {
		t.Errorf("w did not wrap:\n%s", h.view())
	}
	h.press("t")
	if !strings.Contains(h.view(), "05:06:07.890 xxx") {
		t.Errorf("t did not show the timestamp:\n%s", h.view())
	}
	h.press("t", "w")
	if v := h.view(); strings.Contains(v, "05:06:07") || strings.Contains(v, "END") {
		t.Errorf("t and w did not toggle back:\n%s", v)
	}
}

func TestLogRingIsCapped(t *testing.T) {
	var r ring
	for i := range 100 {
		r.add([]env.LogEntry{{LogLine: engine.LogLine{Text: fmt.Sprint(i)}}}, 10)
	}
	vis := r.visible(10)
	if len(vis) != 10 || vis[0].Text != "90" || vis[9].Text != "99" {
		t.Errorf("visible %v", vis)
	}
	if len(r.entries) > 10+10/4 {
		t.Errorf("the ring holds %d entries for a limit of 10", len(r.entries))
	}
	if r.dropped+len(r.entries) != 100 {
		t.Errorf("dropped %d + kept %d != 100", r.dropped, len(r.entries))
	}
	r.add([]env.LogEntry{{LogLine: engine.LogLine{Text: "\x1b[31mred\x1b[0m\tcell"}}}, 10)
	if got := r.entries[len(r.entries)-1].Text; got != "red    cell" {
		t.Errorf("escape codes and tabs: %q", got)
	}
}

func TestLogsViewKeepsTheLimitPerService(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	upAll(t, f, p)
	if err := f.WriteLog("demo-web", logLines("line", 50)...); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, p, f, func(o *Options) { o.LogLines = 20 }).loaded()
	openLogs(t, h, "web")
	h.waitFor("the last line", func(m *Model) bool { return strings.Contains(m.text(), "line 49") })
	if n := len(h.m.logs.ring().visible(h.m.logs.limit)); n != 20 {
		t.Errorf("%d lines kept, want 20", n)
	}
	if !strings.Contains(h.view(), "20 lines") {
		t.Errorf("the title does not count 20 lines:\n%s", h.view())
	}
}

// The logs tab shows the selected service's log however it is reached:
// 2 and tab as well as enter.
func TestLogsTabShowsTheSelectedService(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	upAll(t, f, p)
	for _, svc := range []string{"db", "web"} {
		if err := f.WriteLog("demo-"+svc, logLines(svc+" line", 3)...); err != nil {
			t.Fatal(err)
		}
	}
	h := newHarness(t, p, f, nil).loaded()
	h.selectService("db")
	h.press("2")
	h.waitFor("db's log after 2", func(m *Model) bool { return strings.Contains(m.text(), "db line 2") })
	h.press("esc")
	h.selectService("web")
	h.press("tab")
	h.waitFor("web's log after tab", func(m *Model) bool { return strings.Contains(m.text(), "web line 2") })
	if v := h.view(); strings.Contains(v, "db line") || !strings.Contains(v, "Logs: web") {
		t.Errorf("the logs tab does not show web's log alone:\n%s", v)
	}
}

func TestLogTitleCountsLines(t *testing.T) {
	v := newLogView(10)
	v.service, v.width = "web", 80
	for _, want := range []string{"web · following · 0 lines", "web · following · 1 line", "web · following · 2 lines"} {
		if got := strings.TrimRight(ansi.Strip(v.title()), " "); got != want {
			t.Errorf("title %q, want %q", got, want)
		}
		v.append([]env.LogEntry{{LogLine: engine.LogLine{Text: "x"}}})
	}
}
