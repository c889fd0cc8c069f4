package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/images"
)

// action is one thing the user asked the stack to do.
type action struct {
	verb    string // up, down, restart, stop, start, pull
	service string // "" for the environment
	confirm bool   // destructive: asks y/n first
}

func (a action) String() string {
	if a.service == "" {
		return a.verb
	}
	return a.verb + " " + a.service
}

// progressMsg is an event of a running action's library call.
type progressMsg struct{ ev env.Event }

// actionDoneMsg says an action finished.
type actionDoneMsg struct {
	a    action
	err  error
	took time.Duration
}

// execDoneMsg says the shell the UI suspended for has ended.
type execDoneMsg struct {
	service string
	err     error
}

// openDoneMsg says a URL was handed to the browser.
type openDoneMsg struct {
	url string
	err error
}

// run makes the library call an action stands for, reporting its events
// to the program.
func (m *Model) run(a action) tea.Cmd {
	o, ctx, send := m.opts, m.rt.ctx, m.rt.send
	rep := env.ReporterFunc(func(ev env.Event) { send(progressMsg{ev}) })
	puller := pullerOf(o.Pull, send)
	life := env.LifecycleOptions{Services: []string{a.service}, Progress: rep}
	return func() tea.Msg {
		began := time.Now()
		var err error
		switch a.verb {
		case "up":
			_, err = env.Up(ctx, o.Engine, o.Project, env.UpOptions{
				Environment: o.Environment, Progress: rep, Puller: puller, Pins: o.Pins,
			})
		case "down":
			err = env.Down(ctx, o.Engine, o.Project.Name, env.DownOptions{Progress: rep})
		case "restart":
			err = env.Restart(ctx, o.Engine, o.Project, life)
		case "stop":
			err = env.Stop(ctx, o.Engine, o.Project, life)
		case "start":
			err = env.Start(ctx, o.Engine, o.Project, life)
		case "pull":
			err = env.Pull(ctx, o.Engine, o.Project, env.PullOptions{
				Services: []string{a.service}, Puller: puller, Pins: o.Pins, Progress: rep,
			})
		default:
			err = fmt.Errorf("unknown action %q", a.verb)
		}
		return actionDoneMsg{a: a, err: err, took: time.Since(began)}
	}
}

// pullerOf adapts pull to env's Puller, its progress shown as events of
// the images.
func pullerOf(pull PullFunc, send func(tea.Msg)) env.Puller {
	if pull == nil {
		return nil
	}
	rep := pullReporter(func(e images.Event) { send(progressMsg{imageEvent(e)}) })
	return env.PullerFunc(func(ctx context.Context, reqs []images.Request) (map[string]images.Result, error) {
		return pull(ctx, reqs, rep)
	})
}

type pullReporter func(images.Event)

func (f pullReporter) ReportPull(e images.Event) { f(e) }

// imageEvent turns an image's pull progress into an event of the image.
func imageEvent(e images.Event) env.Event {
	ev := env.Event{Time: e.Time, Kind: env.KindImage, Name: e.Image, Status: env.Status(e.Status)}
	switch e.Status {
	case images.StatusDownloading, images.StatusExtracting:
		ev.Detail = fmt.Sprintf("%d/%d layers", e.LayersDone, e.Layers)
		if e.Total > 0 {
			ev.Detail += fmt.Sprintf(", %d%%", e.Current*100/e.Total)
		}
	case images.StatusFailed:
		ev.Detail = e.Error
	}
	return ev
}

// shell suspends the UI for a shell in the service's container, through
// devenv exec so that it behaves exactly as on the command line.
func (m *Model) shell(service string) tea.Cmd {
	self := m.opts.Self
	if len(self) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return func() tea.Msg { return execDoneMsg{service, err} }
		}
		self = []string{exe, "-p", m.opts.Project.Name}
		files := m.opts.Project.Files // every merged file, so that overrides' services exist
		if len(files) == 0 {
			files = []string{m.opts.Project.File}
		}
		for _, f := range files {
			self = append(self, "-f", f)
		}
	}
	args := append(append([]string{}, self[1:]...), "exec", service, "sh")
	sh := &shellCmd{cmd: exec.Command(self[0], args...)}
	return tea.Exec(sh, func(err error) tea.Msg {
		if err != nil {
			if last := sh.lastError(); last != "" {
				err = fmt.Errorf("%w: %s", err, last)
			}
		}
		return execDoneMsg{service, err}
	})
}

// shellCmd is the shell's process; it keeps the end of what it writes to
// stderr, so that the status line can say why it failed once the UI is
// back on the screen.
type shellCmd struct {
	cmd  *exec.Cmd
	tail []byte // the last bytes written to stderr
}

func (c *shellCmd) Run() error            { return c.cmd.Run() }
func (c *shellCmd) SetStdin(r io.Reader)  { c.cmd.Stdin = r }
func (c *shellCmd) SetStdout(w io.Writer) { c.cmd.Stdout = w }
func (c *shellCmd) SetStderr(w io.Writer) { c.cmd.Stderr = io.MultiWriter(w, c) }
func (c *shellCmd) Write(b []byte) (int, error) {
	c.tail = append(c.tail, b...)
	if len(c.tail) > 1024 {
		c.tail = c.tail[len(c.tail)-1024:]
	}
	return len(b), nil
}

// lastError is the last line the shell's process wrote to stderr.
func (c *shellCmd) lastError() string {
	lines := strings.Split(strings.TrimSpace(string(c.tail)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// open hands url to the browser.
func (m *Model) open(url string) tea.Cmd {
	openFn := m.opts.Open
	return func() tea.Msg { return openDoneMsg{url, openFn(url)} }
}

// openURL starts $BROWSER (the first of its colon-separated commands; %s
// stands for the URL), else xdg-open, or open on macOS, without waiting
// for the browser.
func openURL(url string) error {
	var argv []string
	if b := os.Getenv("BROWSER"); b != "" {
		first, _, _ := strings.Cut(b, ":")
		argv = strings.Fields(first)
		if strings.Contains(first, "%s") {
			for i := range argv {
				argv[i] = strings.ReplaceAll(argv[i], "%s", url)
			}
		} else {
			argv = append(argv, url)
		}
	} else if runtime.GOOS == "darwin" {
		argv = []string{"open", url}
	} else {
		argv = []string{"xdg-open", url}
	}
	if len(argv) == 0 {
		return errors.New("$BROWSER names no command")
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := cmd.Start(); err != nil {
		if errors.Is(err, exec.ErrNotFound) && os.Getenv("BROWSER") == "" {
			return fmt.Errorf("opening %s: there is no %s here; set $BROWSER to your browser's command", url, argv[0])
		}
		return fmt.Errorf("opening %s: %w", url, err)
	}
	go cmd.Wait()
	return nil
}

// runtimeState is what the model shares with the goroutines it starts.
type runtimeState struct {
	ctx  context.Context
	send func(tea.Msg) // program.Send; set before the program runs
}
