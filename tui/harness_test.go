package tui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"go.uber.org/goleak"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/env/engine/enginetest"
	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/tui/keytest"
)

// TestMain fails the package's tests if a goroutine they started outlives
// them: everything the UI starts ends with its context. teatest leaves one
// goroutine per program, waiting for an interrupt.
func TestMain(m *testing.M) {
	time.Local = time.UTC // log timestamps are shown in local time
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction(teatestSignalWait))
}

const teatestSignalWait = "github.com/charmbracelet/x/exp/teatest/v2.NewTestModel.func2"

// demoYAML is the project most tests show. Its port is unusual so that
// env.Up's probe of the local host finds it free.
const demoYAML = `
name: demo
environments:
  default: [web]
services:
  db:
    image: db:1
    healthcheck: {test: ["CMD", "true"]}
  web:
    image: registry.example/team/web:2
    ports: ["47811:80"]
    depends_on:
      db: {condition: service_healthy}
  worker:
    image: worker:1
`

func parseProject(t *testing.T, yaml string) *config.Project {
	t.Helper()
	p, err := config.Parse("/src/envs.yaml", []byte(yaml), config.LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatalf("parsing test config: %v", err)
	}
	return p
}

// newFake returns a fake engine with the project's images.
func newFake(p *config.Project) *enginetest.Fake {
	f := enginetest.New()
	for _, s := range p.Services {
		f.AddImage(s.Image)
	}
	return f
}

// upAll brings every service of the project up, as another terminal would.
func upAll(t *testing.T, f *enginetest.Fake, p *config.Project) {
	t.Helper()
	var names []string
	for n := range p.Services {
		names = append(names, n)
	}
	if _, err := env.Up(t.Context(), f, p, env.UpOptions{Services: names}); err != nil {
		t.Fatalf("up: %v", err)
	}
}

// harness runs the model as a program would, in the test's goroutine:
// commands run in goroutines and their messages come back through msgs.
type harness struct {
	t     *testing.T
	m     *Model
	f     *enginetest.Fake
	p     *config.Project
	msgs  chan tea.Msg
	quit  bool
	loads int // full observations delivered
}

// newHarness starts the model on f at 80x24 with the engine bridge running.
func newHarness(t *testing.T, p *config.Project, f *enginetest.Fake, edit func(*Options)) *harness {
	t.Helper()
	o := Options{Project: p, Engine: f, Now: time.Now}
	if edit != nil {
		edit(&o)
	}
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	h := &harness{t: t, f: f, p: p, msgs: make(chan tea.Msg, 4096)}
	h.m = New(ctx, o)
	h.m.rt.send = h.post
	h.exec(h.m.Init())
	h.update(tea.WindowSizeMsg{Width: 80, Height: 24})
	go WatchEngine(ctx, f, p.Name, h.post)
	return h
}

// view is the screen as a person reads it: the text, without the styles'
// escape codes (the program downsamples those for the terminal it runs on).
func (h *harness) view() string { return h.m.text() }

// text is the screen's text without escape codes; tests and goldens compare it.
func (m *Model) text() string { return ansi.Strip(m.screen()) }

func (h *harness) post(msg tea.Msg) {
	select {
	case h.msgs <- msg:
	case <-h.t.Context().Done():
	}
}

// update gives the model one message and runs the command it returns,
// which it also returns.
func (h *harness) update(msg tea.Msg) tea.Cmd {
	if _, ok := msg.(tea.QuitMsg); ok {
		h.quit = true
		return nil
	}
	if _, ok := msg.(psMsg); ok {
		h.loads++
	}
	_, cmd := h.m.Update(msg)
	h.exec(cmd)
	return cmd
}

func (h *harness) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		if batch, ok := msg.(tea.BatchMsg); ok {
			for _, c := range batch {
				h.exec(c)
			}
			return
		}
		if msg != nil {
			h.post(msg)
		}
	}()
}

// press types keys: runes, or names such as "enter", "esc", "down".
func (h *harness) press(keys ...string) {
	for _, k := range keys {
		h.update(keytest.Press(k))
	}
}

// waitTimeout bounds a wait for what the model does in a few milliseconds;
// it is generous, and scaled, so that a loaded machine does not fail the
// tests.
var waitTimeout = testutil.Timeout()

// waitFor delivers messages until cond holds, failing after waitTimeout.
func (h *harness) waitFor(what string, cond func(m *Model) bool) {
	h.t.Helper()
	deadline := time.After(waitTimeout)
	for !cond(h.m) {
		select {
		case msg := <-h.msgs:
			h.update(msg)
		case <-deadline:
			h.t.Fatalf("timed out waiting for %s; screen:\n%s", what, h.view())
		}
	}
}

// deliverUntil delivers messages until one that match holds for has been
// delivered, and returns the command the model answered it with.
func (h *harness) deliverUntil(what string, match func(tea.Msg) bool) tea.Cmd {
	h.t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case msg := <-h.msgs:
			cmd := h.update(msg)
			if match(msg) {
				return cmd
			}
		case <-deadline:
			h.t.Fatalf("timed out waiting for %s; screen:\n%s", what, h.view())
		}
	}
}

// statsTicks records the delays of the stats ticks the model asks for,
// and ticks with next (the model's own tick).
type statsTicks struct {
	next   func(time.Duration, func(time.Time) tea.Msg) tea.Cmd
	mu     sync.Mutex
	delays []time.Duration // guarded by mu
}

func (k *statsTicks) tick(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
	if _, ok := fn(time.Time{}).(statsTickMsg); ok {
		k.mu.Lock()
		k.delays = append(k.delays, d)
		k.mu.Unlock()
	}
	return k.next(d, fn)
}

// last is the delay of the last stats tick asked for.
func (k *statsTicks) last() time.Duration {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.delays) == 0 {
		return 0
	}
	return k.delays[len(k.delays)-1]
}

// settle delivers the messages that arrive within d: the window in which a
// test checks that nothing happens.
func (h *harness) settle(d time.Duration) {
	end := time.After(d)
	for {
		select {
		case msg := <-h.msgs:
			h.update(msg)
		case <-end:
			return
		}
	}
}

// loaded waits for the first observation.
func (h *harness) loaded() *harness {
	h.t.Helper()
	h.waitFor("the services table", func(m *Model) bool { return m.svc.loaded })
	return h
}

// rowOf is the table row of service.
func (h *harness) rowOf(service string) row {
	h.t.Helper()
	for _, r := range h.m.svc.rows {
		if r.Service == service {
			return r
		}
	}
	h.t.Fatalf("no row of %s in %v", service, h.m.svc.rows)
	return row{}
}

// selectService moves the cursor to service's row.
func (h *harness) selectService(service string) {
	h.t.Helper()
	for i, r := range h.m.svc.shown {
		if r.Service == service {
			h.m.svc.moveTo(i)
			return
		}
	}
	h.t.Fatalf("%s is not shown", service)
}

func screenLine(view, prefix string) string {
	for _, l := range strings.Split(view, "\n") {
		if strings.HasPrefix(strings.TrimLeft(l, " >"), prefix) {
			return l
		}
	}
	return ""
}

func hasCall(f *enginetest.Fake, call string) bool {
	for _, c := range f.Calls() {
		if c == call {
			return true
		}
	}
	return false
}

var _ engine.Engine = (*enginetest.Fake)(nil)
