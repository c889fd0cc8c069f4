// Command tuibench measures interactive container UIs on a running devenv
// stack: the CPU a UI uses while idle, the extra CPU it causes in dockerd,
// and how long a container's state change takes to reach its screen. Each UI
// runs in a tmux session of its own; bench/tui.sh brings the stack up and
// runs this. It prints figures and is not a test.
//
//	tuibench -project P -socket PATH -dir D -tool 'devenv=/path/devenv -f envs.yaml' [-tool 'lazydocker=/path/lazydocker']
//
// Figures go to stdout as they are measured, progress to stderr. A UI
// that fails one step (does not show the stack, or a change, in time) gets
// a FAILED row and the run goes on; the exit status is non-zero only when
// the harness itself fails (tmux, the Engine API, an interrupt).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/docker/docker/client"
)

// tool is one UI under test.
type tool struct {
	name string
	argv []string
}

type tools []tool

func (t *tools) String() string { return fmt.Sprint(*t) }

func (t *tools) Set(v string) error {
	name, cmd, ok := strings.Cut(v, "=")
	if !ok || name == "" || strings.TrimSpace(cmd) == "" {
		return fmt.Errorf("want NAME=COMMAND, got %q", v)
	}
	*t = append(*t, tool{name: name, argv: strings.Fields(cmd)})
	return nil
}

// options are the command line's settings.
type options struct {
	project, socket, dir string
	services             int
	rounds               int
	window               time.Duration
	settle               time.Duration
	changes              int
	width, height        int
	tools                tools
}

func main() {
	var o options
	flag.StringVar(&o.project, "project", "bench30-tui", "the devenv project whose containers are watched")
	flag.StringVar(&o.socket, "socket", filepath.Join(os.TempDir(), "devenv-tuibench.sock"), "path of the tmux server's socket (tmux -S)")
	flag.StringVar(&o.dir, "dir", os.TempDir(), "a directory for tmux's config and the tools' state")
	flag.IntVar(&o.services, "services", 30, "how many running containers the project must have")
	flag.DurationVar(&o.window, "window", time.Minute, "length of each idle CPU window")
	flag.IntVar(&o.rounds, "rounds", 1, "idle windows per UI, each after one without a UI (one more without a UI ends them)")
	flag.DurationVar(&o.settle, "settle", 5*time.Second, "wait after a UI shows the stack before its idle window")
	flag.IntVar(&o.changes, "changes", 20, "state changes per UI for the latency figures (stop, start, ...)")
	flag.IntVar(&o.width, "width", 160, "terminal width")
	flag.IntVar(&o.height, "height", 50, "terminal height")
	flag.Var(&o.tools, "tool", "NAME=COMMAND of a UI to measure (repeatable; devenv's rows are named by service, others' by container)")
	flag.Parse()
	if len(o.tools) == 0 || o.changes < 1 || o.rounds < 1 {
		fmt.Fprintln(os.Stderr, "usage: tuibench -tool NAME=COMMAND [-tool ...] (see the package comment)")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintf(os.Stderr, "tuibench: %v\n", err)
		os.Exit(1)
	}
}

func say(format string, args ...any) { fmt.Fprintf(os.Stderr, "tuibench: "+format+"\n", args...) }

// window is one idle window: of a UI, or without one when tool is "".
type window struct {
	round int
	tool  string
	usage
	err error // a stepFailure: the UI's window was not measured
}

// stepFailure is a measurement that did not come out: a UI that did not
// show in time what was awaited, an engine event that never came, a UI that
// exited. The run goes on without that figure and says so in its row; any
// other error is the harness's own (tmux, the Engine API, an interrupt) and
// ends the run.
type stepFailure struct {
	what   string // one line, for the table
	screen string // the UI's screen at that moment, for stderr; may be empty
}

func (f *stepFailure) Error() string {
	if f.screen == "" {
		return f.what
	}
	return f.what + "; screen:\n" + f.screen
}

func asStepFailure(err error) (*stepFailure, bool) {
	var f *stepFailure
	ok := errors.As(err, &f)
	return f, ok
}

// harness reports whether err ends the run: anything but a stepFailure, and
// a stepFailure too once the run is interrupted.
func harness(ctx context.Context, err error) bool {
	_, step := asStepFailure(err)
	return err != nil && (!step || ctx.Err() != nil)
}

func run(ctx context.Context, o options) error {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return err
	}
	defer cli.Close()
	defer killServer(o.socket)
	b := &bench{o: o, cli: cli, pids: map[string]int{}}
	if b.stack, err = waitStack(ctx, cli, o.project, o.services); err != nil {
		return err
	}
	for _, name := range []string{"dockerd", "containerd"} {
		if pid := findProcess(name); pid != 0 {
			b.pids[name] = pid
		}
	}
	if b.pids["dockerd"] == 0 {
		return fmt.Errorf("no dockerd process found in /proc")
	}
	rep := newReporter(os.Stdout, o, b.pids)
	rep.idleHeader()
	// Rounds of a window without a UI and one per UI, and a last window
	// without: the machine's other load drifts, so each UI's windows sit
	// between windows without one. Each window is printed once measured.
	var windows []window
	for round := 1; round <= o.rounds+1; round++ {
		u, err := b.idleWindow(ctx, nil)
		if err != nil {
			return err
		}
		windows = append(windows, window{round: round, usage: u})
		rep.idleRow(windows[len(windows)-1])
		for _, t := range o.tools {
			if round > o.rounds {
				break
			}
			u, err := b.idleWindow(ctx, &t)
			if harness(ctx, err) {
				return err
			}
			if err != nil {
				say("%s: idle window %d failed: %v", t.name, round, err)
			}
			windows = append(windows, window{round: round, tool: t.name, usage: u, err: err})
			rep.idleRow(windows[len(windows)-1])
		}
	}
	rep.idleSummary(windows)
	fmt.Println()

	rep.latencyHeader()
	el := watchEvents(ctx, cli, o.project)
	for _, t := range o.tools {
		smp, visible, err := b.latencyRun(ctx, el, t)
		rep.latencyRows(t, smp, visible, err)
		if harness(ctx, err) {
			return err
		}
		if err != nil {
			say("%s: the latency step failed: %v", t.name, err)
			if err := b.restoreStack(ctx); err != nil {
				return err
			}
		}
	}
	rep.latencyFooter()
	return nil
}

// bench is one run's fixed facts.
type bench struct {
	o     options
	cli   *client.Client
	stack []member
	pids  map[string]int // the engine's processes: dockerd, containerd
}

// idleWindow measures one window of o.window: with t's UI showing the stack
// and untouched, or with no UI when t is nil. A UI that does not show the
// stack, or exits before its window ends, is a stepFailure.
func (b *bench) idleWindow(ctx context.Context, t *tool) (usage, error) {
	watch := map[string]int{}
	for k, v := range b.pids {
		watch[k] = v
	}
	if t == nil {
		say("idle window, no UI: %s", b.o.window)
		return measure(ctx, b.o.window, watch)
	}
	s, _, err := b.startUI(ctx, *t, "idle")
	if err != nil {
		return usage{}, err
	}
	defer s.kill()
	if watch["ui"], err = s.pid(); err != nil {
		return usage{}, err
	}
	if err := sleep(ctx, b.o.settle); err != nil {
		return usage{}, err
	}
	say("idle window, %s: %s", t.name, b.o.window)
	u, err := measure(ctx, b.o.window, watch)
	if ctx.Err() == nil && s.dead() {
		return usage{}, &stepFailure{what: t.name + " exited during its idle window"}
	}
	return u, err
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-time.After(d):
		return nil
	}
}
