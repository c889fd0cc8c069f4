package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
)

// The interactive UI, end to end: the real binary in a real terminal (tmux)
// against the real engine, driven by keys and read from the screen.

const tuiStack = `
name: NAME
services:
  db:
    image: IMAGE
    healthcheck: {test: ["CMD", "/app", "health"], interval: 1s, timeout: 1s, retries: 10}
  api:
    image: IMAGE
    command: ["-heartbeat", "50ms"]
    depends_on: [db]
  web:
    image: IMAGE
    depends_on: [api]
`

var tuiServices = []string{"db", "api", "web"}

func TestTUI(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("the UI's end-to-end test needs tmux (apt-get install tmux); .ci/run installs it")
	}
	dir, _ := setup(t, tuiStack)
	if out, code := run(t, dir, "up"); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	p := startPane(t, dir, 120, 40)

	p.waitFor("the services table with every service running", 30*time.Second, func(s string) bool {
		return header(s) != "" && allState(s, tuiServices, "running")
	})
	t.Run("resize", func(t *testing.T) { testResize(t, p.on(t)) })
	t.Run("logs follow", func(t *testing.T) { testLogsFollow(t, p.on(t)) })
	t.Run("restart key", func(t *testing.T) { testRestartKey(t, p.on(t), dir) })
	t.Run("stopped from outside", func(t *testing.T) { testStoppedOutside(t, p.on(t), dir) })
	t.Run("q quits", func(t *testing.T) {
		p := p.on(t)
		p.send("q")
		p.waitFor("the process to exit after q", 15*time.Second, func(string) bool { return p.exitStatus() != "" })
		if st := p.exitStatus(); st != "0" {
			t.Errorf("exit status after q = %s, want 0\n%s", st, p.capture())
		}
	})
}

// testResize shrinks the terminal to 80×24 and back: the UI must lay itself
// out again each time, with the table's header and the help bar in view.
func testResize(t *testing.T, p *pane) {
	p.toTable()
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		w, h := size[0], size[1]
		p.tmux("resize-window", "-t", p.name, "-x", strconv.Itoa(w), "-y", strconv.Itoa(h))
		if got := p.display("#{pane_width}x#{pane_height}"); got != fmt.Sprintf("%dx%d", w, h) {
			t.Fatalf("pane is %s after resize-window to %dx%d", got, w, h)
		}
		p.waitFor(fmt.Sprintf("a layout for %dx%d: header, every row, help bar on the last line", w, h), 10*time.Second,
			func(s string) bool {
				lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
				hdr := header(s)
				return len(lines) == h && isHelpBar(lines[h-1]) &&
					strings.Contains(hdr, "STATE") && strings.Count(s, "SERVICE") == 1 &&
					allState(s, tuiServices, "running")
			})
	}
}

// testLogsFollow opens the logs of api, which logs a heartbeat every 50 ms.
// Once the log is longer than the screen, it waits for a heartbeat newer
// than the newest on screen: only a view that follows shows it.
func testLogsFollow(t *testing.T, p *pane) {
	p.selectService("api")
	p.send("l")
	heartbeat := regexp.MustCompile(`msg=heartbeat .*n=(\d+)`)
	newest := func(s string) int {
		n := -1
		for _, m := range heartbeat.FindAllStringSubmatch(s, -1) {
			v, _ := strconv.Atoi(m[1])
			n = max(n, v)
		}
		return n
	}
	lines := 40
	first := newest(p.waitFor(fmt.Sprintf("api's logs with heartbeat n>%d, more lines than the screen has", lines), 15*time.Second,
		func(s string) bool { return newest(s) > lines }))
	p.waitFor(fmt.Sprintf("a heartbeat after n=%d, logged after the view opened", first), 10*time.Second,
		func(s string) bool { return newest(s) > first })
	p.send("Escape")
	p.waitFor("the table again after esc", 10*time.Second, func(s string) bool { return header(s) != "" })
}

// testRestartKey restarts web with r, y and checks its container started
// again (the engine's start event, then a new StartedAt) and that no other
// service was touched.
func testRestartKey(t *testing.T, p *pane, dir string) {
	before := startedAt(t, dir)
	started, errs := containerEvents(t, psIDs(t, dir)["web"], "start")
	p.selectService("web")
	p.send("r")
	p.waitFor("a confirmation naming web", 10*time.Second, func(s string) bool {
		return slices.ContainsFunc(strings.Split(s, "\n"), func(l string) bool {
			return strings.Contains(strings.ToLower(l), "restart") && hasWord(l, "web") && strings.Contains(l, "?") &&
				rowService(l) != "web"
		})
	})
	p.send("y")
	select {
	case <-started:
	case err := <-errs:
		t.Fatalf("docker events: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatalf("web's container did not start again within 30 s of r, y\n%s", p.capture())
	}
	after := startedAt(t, dir)
	if !after["web"].After(before["web"]) {
		t.Errorf("web started, but ps says StartedAt %s, as before", after["web"])
	}
	for _, s := range []string{"db", "api"} {
		if !after[s].Equal(before[s]) {
			t.Errorf("%s was restarted too (StartedAt %s -> %s)", s, before[s], after[s])
		}
	}
	p.waitFor("web running again", 15*time.Second, func(s string) bool { return allState(s, tuiServices, "running") })
}

// containerEvents subscribes to the engine's events of one kind (start,
// die) of container id from now on, for the rest of the test. The engine
// replays them from now, so none is missed while the subscription is made.
func containerEvents(t *testing.T, id, kind string) (<-chan events.Message, <-chan error) {
	t.Helper()
	now := time.Now()
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli.Events(t.Context(), events.ListOptions{
		Since: fmt.Sprintf("%d.%09d", now.Unix(), now.Nanosecond()),
		Filters: filters.NewArgs(
			filters.Arg("type", "container"), filters.Arg("container", id), filters.Arg("event", kind)),
	})
}

// testStoppedOutside stops db through the engine's API and measures how long
// after the container died (the engine's die event) the screen showed it
// exited; the target is under a second. The screen is read from the moment
// of the call, while the stop is still under way.
func testStoppedOutside(t *testing.T, p *pane, dir string) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	p.toTable()
	id := psIDs(t, dir)["db"]
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	msgs, errs := containerEvents(t, id, "die")
	start := time.Now()
	stopErr := make(chan error, 1)
	go func() { stopErr <- cli.ContainerStop(ctx, id, container.StopOptions{}) }()
	p.waitFor("db shown exited", 15*time.Second, func(s string) bool {
		return strings.Contains(rowOf(s, "db"), "exited")
	})
	shown := time.Now()
	if err := <-stopErr; err != nil {
		t.Fatalf("docker stop db: %v", err)
	}
	var died time.Time
	select {
	case m := <-msgs:
		died = time.Unix(0, m.TimeNano)
	case err := <-errs:
		t.Fatalf("docker events: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("no die event for db within 5 s of docker stop")
	}
	took := shown.Sub(died)
	t.Logf("db shown exited %s after it died (%s after docker stop was called)",
		took.Round(time.Millisecond), shown.Sub(start).Round(time.Millisecond))
	if took >= time.Second {
		t.Errorf("db was shown exited %s after it died, want < 1s\n%s", took, p.capture())
	}
}

// startedAt reads each service's start time from `devenv ps -o json`.
func startedAt(t *testing.T, dir string) map[string]time.Time {
	t.Helper()
	out, code := run(t, dir, "ps", "-o", "json")
	var rows []struct {
		Service   string    `json:"service"`
		StartedAt time.Time `json:"started_at"`
	}
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil {
		t.Fatalf("ps -o json: exit %d, %v\n%s", code, err, out)
	}
	m := map[string]time.Time{}
	for _, r := range rows {
		m[r.Service] = r.StartedAt
	}
	return m
}

// Reading the screen. A table row is a line whose first word (after any
// border or selection marker) is the service's name.

func rowService(line string) string {
	f := strings.Fields(strings.TrimLeftFunc(line, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func rowOf(screen, service string) string {
	for _, l := range strings.Split(screen, "\n") {
		if rowService(l) == service {
			return l
		}
	}
	return ""
}

func rows(screen string) []string {
	var out []string
	for _, l := range strings.Split(screen, "\n") {
		if s := rowService(l); slices.Contains(tuiServices, s) {
			out = append(out, s)
		}
	}
	return out
}

func header(screen string) string {
	for _, l := range strings.Split(screen, "\n") {
		if rowService(l) == "SERVICE" {
			return l
		}
	}
	return ""
}

func hasWord(line, w string) bool {
	return slices.Contains(strings.FieldsFunc(line, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }), w)
}

func allState(screen string, services []string, state string) bool {
	for _, s := range services {
		if !hasWord(rowOf(screen, s), state) {
			return false
		}
	}
	return true
}

// isHelpBar recognises the help bar (bubbles/help): its quit key, or key
// descriptions separated by bullets when a narrow screen cut the quit key off.
func isHelpBar(line string) bool {
	return hasWord(line, "quit") || strings.Count(line, "•") >= 2
}

// isSelected reports a row marked as the selection: a marker before the name.
func isSelected(line string) bool {
	l := strings.TrimLeft(line, " ")
	return l != "" && !unicode.IsLetter([]rune(l)[0]) && !unicode.IsDigit([]rune(l)[0])
}

// pane is one tmux session on a private server, running devenv's UI.
type pane struct {
	t      *testing.T
	socket string // tmux -S: a server of this test's own, its socket in a temp dir
	status string // file the UI's exit status is written to
	name   string
}

// startPane runs the UI in dir in a w×h terminal, with NO_COLOR so that the
// screen reads as plain text. The pane stays after the process exits, so its
// last screen can be read. A shell waits for the UI and writes its exit
// status: tmux's own (pane_dead_status) sometimes stays unknown, with the
// process left unreaped.
func startPane(t *testing.T, dir string, w, h int) *pane {
	tmp := t.TempDir()
	p := &pane{t: t, socket: filepath.Join(tmp, "tmux.sock"), name: "tui", status: filepath.Join(tmp, "status")}
	conf := filepath.Join(tmp, "tmux.conf")
	if err := os.WriteFile(conf, []byte("set -g status off\nset -g remain-on-exit on\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("tmux", "-S", p.socket, "-f", conf, "new-session", "-d", "-s", p.name,
		"-x", strconv.Itoa(w), "-y", strconv.Itoa(h), "-c", dir, "--",
		"sh", "-c", `env NO_COLOR=1 TERM=xterm-256color "$0" -f "$1"; echo $? >"$2"`,
		binary, filepath.Join(dir, "envs.yaml"), p.status).CombinedOutput()
	if err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last screen:\n%s", p.capture())
		}
		exec.Command("tmux", "-S", p.socket, "kill-server").Run()
	})
	return p
}

// on is p reporting to t, a subtest: a subtest must not fail its parent.
func (p *pane) on(t *testing.T) *pane {
	q := *p
	q.t = t
	return &q
}

func (p *pane) tmux(args ...string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "tmux", append([]string{"-S", p.socket}, args...)...).CombinedOutput()
	if err != nil {
		p.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (p *pane) capture() string { return p.tmux("capture-pane", "-p", "-t", p.name) }
func (p *pane) display(format string) string {
	return strings.TrimSpace(p.tmux("display-message", "-p", "-t", p.name, format))
}

// exitStatus is the UI's exit status once it has exited, else "".
func (p *pane) exitStatus() string {
	b, _ := os.ReadFile(p.status)
	return strings.TrimSpace(string(b))
}

// send types keys by tmux's names ("Down", "Escape") or as literal letters.
func (p *pane) send(keys ...string) { p.tmux(append([]string{"send-keys", "-t", p.name}, keys...)...) }

// waitFor polls the screen every 10 ms until cond holds and returns that
// screen; after timeout, or once the UI has exited, it fails with the screen.
// What the UI draws is seen only on the screen, so this polls; timeouts are
// generous for a loaded machine, and what is timed is measured apart.
func (p *pane) waitFor(what string, timeout time.Duration, cond func(screen string) bool) string {
	p.t.Helper()
	poll := time.NewTicker(10 * time.Millisecond)
	defer poll.Stop()
	deadline := time.After(timeout)
	for {
		s := p.capture()
		if cond(s) {
			return s
		}
		if st := p.exitStatus(); st != "" && !cond(p.capture()) {
			p.t.Fatalf("the UI exited (status %s) while waiting for %s; screen:\n%s", st, what, s)
		}
		select {
		case <-poll.C:
		case <-deadline:
			p.t.Fatalf("waited %s for %s; screen:\n%s", timeout, what, s)
		}
	}
}

// toTable goes back to the services table (esc) if the screen shows
// something else, such as the logs a failed subtest left open.
func (p *pane) toTable() string {
	p.t.Helper()
	if s := p.capture(); header(s) != "" {
		return s
	}
	p.send("Escape")
	return p.waitFor("the services table", 10*time.Second, func(s string) bool { return header(s) != "" })
}

// selectService moves the selection to service's row: up past the first
// row, then down as many rows as the table shows above service.
func (p *pane) selectService(service string) {
	p.t.Helper()
	s := p.toTable()
	all := rows(s)
	i := slices.Index(all, service)
	if i < 0 {
		p.t.Fatalf("no row for %s:\n%s", service, s)
	}
	for range all {
		p.send("Up")
	}
	for range i {
		p.send("Down")
	}
	p.waitFor(service+"'s row marked as selected", 10*time.Second, func(s string) bool { return isSelected(rowOf(s, service)) })
}
