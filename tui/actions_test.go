package tui

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/env/engine/enginetest"
	"github.com/devenv-dev/devenv/images"
	"github.com/devenv-dev/devenv/tui/keytest"
)

// failingProbe answers env.Up's early runs of the health check as the
// engine's own check does: without it the probe would find the fake's
// container healthy before the engine's unhealthy or starting took effect.
func failingProbe(output string) func([]string) (int, string) {
	return func([]string) (int, string) { return 1, output }
}

// idle waits for the running action to finish.
func (h *harness) idle() {
	h.t.Helper()
	h.waitFor("the action to finish", func(m *Model) bool { return m.busy == nil })
}

func TestRestartAsksFirst(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	upAll(t, f, p)
	h := newHarness(t, p, f, nil).loaded()
	h.selectService("web")
	f.ResetCalls()
	h.press("r")
	if l := screenLine(h.view(), "Restart web?"); !strings.Contains(l, "(y/n)") {
		t.Fatalf("no confirmation:\n%s", h.view())
	}
	h.press("n")
	h.settle(50 * time.Millisecond) // a window for calls that must not come
	if calls := f.Calls(); len(calls) != 0 || !strings.Contains(h.view(), "cancelled") {
		t.Fatalf("n: calls %v", calls)
	}
	before := h.rowOf("web").StartedAt
	h.press("r", "y")
	h.idle()
	want := []string{"stop demo-web", "start demo-web"}
	if got := f.Calls(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("calls %v, want %v", got, want)
	}
	h.waitFor("web's new start time", func(m *Model) bool { return h.rowOf("web").StartedAt.After(before) })
	if !strings.Contains(h.view(), "restart web: done") {
		t.Errorf("no result in the status line:\n%s", h.view())
	}
}

func TestRestartKeysTypedInOneRead(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	upAll(t, f, p)
	h := newHarness(t, p, f, nil).loaded()
	h.selectService("worker")
	f.ResetCalls()
	// A terminal may deliver keys typed fast in one read: the program's
	// input decoder must hand them to the model one at a time.
	for _, k := range decodeKeys(t, "ry", 2) {
		h.update(k)
	}
	h.idle()
	if !hasCall(f, "start demo-worker") {
		t.Errorf("calls %v, want worker restarted", f.Calls())
	}
}

// decodeKeys runs a real program on input and returns the first n key
// presses its decoder delivered.
func decodeKeys(t *testing.T, input string, n int) []tea.KeyPressMsg {
	t.Helper()
	got := make(chan tea.KeyPressMsg, n)
	prog := tea.NewProgram(keyRecorder{got: got, n: n}, tea.WithInput(strings.NewReader(input)),
		tea.WithOutput(io.Discard), tea.WithoutSignals(), tea.WithContext(t.Context()))
	if _, err := prog.Run(); err != nil {
		t.Fatalf("decoding %q: %v", input, err)
	}
	close(got)
	var keys []tea.KeyPressMsg
	for k := range got {
		keys = append(keys, k)
	}
	if len(keys) != n {
		t.Fatalf("decoding %q gave %d key presses %v, want %d", input, len(keys), keys, n)
	}
	return keys
}

// keyRecorder passes on the key presses it gets and quits after n.
type keyRecorder struct {
	got chan tea.KeyPressMsg
	n   int
}

func (r keyRecorder) Init() tea.Cmd { return nil }
func (r keyRecorder) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		r.got <- k
		if r.n--; r.n == 0 {
			return r, tea.Quit
		}
	}
	return r, nil
}
func (r keyRecorder) View() tea.View { return tea.NewView("") }

func TestStopStartPullDownUp(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	upAll(t, f, p)
	h := newHarness(t, p, f, nil).loaded()
	h.selectService("worker")

	h.press("x")
	if !strings.Contains(h.view(), "Stop worker? (y/n)") {
		t.Fatalf("stop did not ask:\n%s", h.view())
	}
	h.press("y")
	h.idle()
	h.waitFor("worker exited", func(m *Model) bool { return h.rowOf("worker").State == "exited" })

	h.selectService("worker")
	h.press("s") // start does not ask
	h.idle()
	h.waitFor("worker running", func(m *Model) bool { return h.rowOf("worker").State == "running" })

	f.ResetCalls()
	h.selectService("worker")
	h.press("P")
	h.idle()
	if got := f.Calls(); len(got) != 1 || got[0] != "pull worker:1" {
		t.Errorf("pull: calls %v", got)
	}

	h.press("D")
	if !strings.Contains(h.view(), "Down? (y/n)") {
		t.Fatalf("down did not ask:\n%s", h.view())
	}
	h.press("y")
	h.idle()
	h.waitFor("every service gone", func(m *Model) bool {
		for _, r := range m.svc.rows {
			if r.State != env.StateNotCreated {
				return false
			}
		}
		return len(m.svc.rows) == 3
	})

	h.press("u") // up does not ask; it brings up the default environment: web and db
	h.idle()
	if s := h.m.status; !strings.Contains(s, "up: done") {
		t.Errorf("status %q", s)
	}
	h.waitFor("web and db running", func(m *Model) bool {
		return h.rowOf("web").State == "running" && h.rowOf("db").State == "running"
	})
	if st := h.rowOf("worker").State; st != env.StateNotCreated {
		t.Errorf("worker is %s; it is not in the default environment", st)
	}
}

func TestUpShowsProgressAndWhatAServiceWaitsFor(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	f.OnStart = func(spec engine.ContainerSpec) enginetest.Behaviour {
		return enginetest.Behaviour{HealthAfter: time.Hour, Health: "healthy", HealthLog: "starting up", Exec: failingProbe("starting up")}
	}
	h := newHarness(t, p, f, nil).loaded()
	// Wide enough that the why column is never cut, whatever the other
	// columns hold at the moment the screen is read (an uptime may appear).
	h.update(tea.WindowSizeMsg{Width: 140, Height: 24})
	h.press("u")
	h.waitFor("web waiting for db", func(m *Model) bool { return strings.Contains(h.rowOf("web").why(), "for db to be healthy") })
	h.selectService("web")
	v := h.view()
	if l := screenLine(v, "web"); !strings.Contains(l, "waiting") {
		t.Errorf("web's row %q does not say it waits", l)
	}
	if l := screenLine(v, "health"); !strings.Contains(l, "waiting for db to be healthy") {
		t.Errorf("the selected web's detail %q does not say what it waits for", l)
	}
	if !strings.Contains(v, "up…") {
		t.Errorf("no progress in the status line:\n%s", v)
	}
	h.waitFor("db's health starting", func(m *Model) bool { return h.rowOf("db").Health == "starting" })
	if err := f.SetHealth("demo-db", "healthy"); err != nil {
		t.Fatal(err)
	}
	h.idle()
	h.waitFor("web running, no longer waiting", func(m *Model) bool {
		return h.rowOf("web").State == "running" && h.rowOf("web").why() == ""
	})
}

func TestUpFailureShowsInTheStatusLine(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	f.OnStart = func(spec engine.ContainerSpec) enginetest.Behaviour {
		return enginetest.Behaviour{Health: "unhealthy", HealthLog: "db is broken", Exec: failingProbe("db is broken")}
	}
	h := newHarness(t, p, f, nil).loaded()
	h.press("u")
	h.idle()
	if !h.m.statusBad || !strings.Contains(h.m.status, "up failed") {
		t.Errorf("status %q (bad %v)", h.m.status, h.m.statusBad)
	}
	h.waitFor("db unhealthy with its probe output", func(m *Model) bool {
		return strings.Contains(h.rowOf("db").why(), "db is broken")
	})
}

func TestPullProgressOfImages(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	upAll(t, f, p)
	pulled := make(chan []images.Request, 1)
	h := newHarness(t, p, f, func(o *Options) {
		o.Pull = func(ctx context.Context, reqs []images.Request, rep images.Reporter) (map[string]images.Result, error) {
			rep.ReportPull(images.Event{Time: time.Now(), Image: reqs[0].Ref, Status: images.StatusDownloading, Layers: 4, LayersDone: 1, Current: 25, Total: 100})
			pulled <- reqs
			return map[string]images.Result{reqs[0].Ref: {ImageID: "sha256:feed"}}, nil
		}
	}).loaded()
	h.selectService("db")
	h.press("P")
	h.waitFor("the pull's progress", func(m *Model) bool {
		return m.busy != nil && strings.Contains(m.progressText(), "1/4 layers, 25%")
	})
	if reqs := <-pulled; len(reqs) != 1 || reqs[0].Ref != "db:1" {
		t.Errorf("pulled %v", reqs)
	}
	h.idle()
}

func TestOpenHandsTheFirstPortToTheBrowser(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	upAll(t, f, p)
	var mu sync.Mutex
	var opened []string
	h := newHarness(t, p, f, func(o *Options) {
		o.Open = func(url string) error {
			mu.Lock()
			defer mu.Unlock()
			opened = append(opened, url)
			return nil
		}
	}).loaded()
	h.selectService("web")
	h.press("o")
	h.waitFor("the status", func(m *Model) bool { return strings.HasPrefix(m.status, "opened") })
	mu.Lock()
	if len(opened) != 1 || opened[0] != "http://127.0.0.1:47811/" {
		t.Errorf("opened %v", opened)
	}
	mu.Unlock()
	h.selectService("db")
	h.press("o")
	if !strings.Contains(h.m.status, "publishes no TCP port") {
		t.Errorf("o on db: status %q", h.m.status)
	}
}

func TestOpenURLRunsBrowser(t *testing.T) {
	dir := t.TempDir()
	// The browser writes its arguments into a FIFO: reading it waits for
	// the browser to have run, however long that takes.
	out := filepath.Join(dir, "opened")
	if b, err := exec.Command("mkfifo", out).CombinedOutput(); err != nil {
		t.Skipf("mkfifo: %v %s", err, b)
	}
	script := filepath.Join(dir, "browser")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$@\" > "+out+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BROWSER", script+":firefox")
	opened := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(out)
		opened <- strings.TrimSpace(string(b))
	}()
	if err := openURL("http://127.0.0.1:1234/"); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-opened:
		if got != "http://127.0.0.1:1234/" {
			t.Fatalf("the browser command got %q", got)
		}
	case <-time.After(30 * time.Second):
		os.WriteFile(out, nil, 0) // opens the FIFO's other end: the reader ends
		t.Fatal("the browser command did not run within 30 s")
	}
	t.Setenv("BROWSER", filepath.Join(dir, "missing"))
	if err := openURL("http://x/"); err == nil {
		t.Error("a missing browser command is not an error")
	}
	// Without $BROWSER nor the system's opener, the error says what to set.
	t.Setenv("BROWSER", "")
	t.Setenv("PATH", t.TempDir())
	if err := openURL("http://x/"); err == nil || !strings.Contains(err.Error(), "set $BROWSER") {
		t.Errorf("no browser at all: %v", err)
	}
}

func TestShellRunsDevenvExec(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	upAll(t, f, p)
	out := filepath.Join(t.TempDir(), "args")
	h := newHarness(t, p, f, func(o *Options) {
		o.Self = []string{"sh", "-c", `echo "$@" > ` + out, "devenv", "-f", "/src/envs.yaml"}
	}).loaded()
	h.selectService("web")
	_, cmd := h.m.Update(keytest.Press("e"))
	if cmd == nil {
		t.Fatal("e gave no command")
	}
	// The program runs the process (tea.ExecProcess); here it runs it as
	// the program would, with the terminal released.
	if done := runExec(t, cmd()); done.err != nil {
		t.Fatalf("the shell failed: %v", done.err)
	}
	b, err := os.ReadFile(out)
	if err != nil || strings.TrimSpace(string(b)) != "-f /src/envs.yaml exec web sh" {
		t.Errorf("the shell command got %q (%v)", b, err)
	}
}

func TestShellFailureSaysWhy(t *testing.T) {
	p := parseProject(t, demoYAML)
	f := newFake(p)
	upAll(t, f, p)
	h := newHarness(t, p, f, func(o *Options) {
		o.Self = []string{"sh", "-c", `echo "devenv: service $2 is not running" >&2; exit 1`, "devenv"}
	}).loaded()
	h.selectService("web")
	_, cmd := h.m.Update(keytest.Press("e"))
	done := runExec(t, cmd())
	h.update(done)
	if !h.m.statusBad || !strings.Contains(h.m.status, "shell in web: exit status 1: devenv: service web is not running") {
		t.Errorf("status %q", h.m.status)
	}
}

// runExec runs the process of a tea.ExecProcess message through a real
// program on a pipe, which is how the UI suspends for it.
func runExec(t *testing.T, msg tea.Msg) execDoneMsg {
	t.Helper()
	in, w, err := os.Pipe() // files, so that the child gets them without copying
	if err != nil {
		t.Fatal(err)
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan tea.Msg, 1)
	p := tea.NewProgram(execProbe{msg: msg, done: done}, tea.WithInput(in), tea.WithOutput(null), tea.WithoutSignals())
	ran := make(chan error, 1)
	go func() {
		_, err := p.Run()
		ran <- err
	}()
	// The files are closed only after the program stopped reading them.
	defer func() {
		p.Quit()
		<-ran
		w.Close()
		in.Close()
		null.Close()
	}()
	select {
	case got := <-done:
		d, ok := got.(execDoneMsg)
		if !ok {
			t.Fatalf("exec ended with %#v", got)
		}
		return d
	case err := <-ran:
		ran <- err // for the deferred wait
		t.Fatalf("the program ended before the exec did: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("the exec did not end")
	}
	return execDoneMsg{}
}

type execProbe struct {
	msg  tea.Msg
	done chan tea.Msg
}

func (e execProbe) Init() tea.Cmd { return func() tea.Msg { return e.msg } }
func (e execProbe) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if d, ok := msg.(execDoneMsg); ok {
		e.done <- d
		return e, tea.Quit
	}
	return e, nil
}
func (e execProbe) View() tea.View { return tea.NewView("") }
