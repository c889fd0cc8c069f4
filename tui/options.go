package tui

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/images"
)

// StatsSource takes one-shot samples of a container's resource counters
// (engine.Docker does).
type StatsSource interface {
	ContainerStats(ctx context.Context, id string) (engine.Stats, error)
}

// PullFunc pulls images, reporting progress (images.Pull over the
// engine's client, as the command line does).
type PullFunc func(ctx context.Context, reqs []images.Request, progress images.Reporter) (map[string]images.Result, error)

// Options configures the UI. Project and Engine are required.
type Options struct {
	Project *config.Project
	Engine  engine.Engine
	// Stats samples CPU and memory of the rows on screen; nil leaves those
	// columns empty.
	Stats StatsSource
	// Environment is what the up key brings up; "" is "default".
	Environment string
	// Pull and Pins are what up and pull fetch images with, as on the
	// command line; a nil Pull pulls through the engine one by one.
	Pull PullFunc
	Pins map[string]string
	// Panels are more tabs, shown after Services and Logs.
	Panels []Panel
	// Self runs devenv on the same envs.yaml: the executable and its global
	// flags, e.g. ["/usr/local/bin/devenv", "-f", "/src/envs.yaml"]. The
	// shell key runs Self + ["exec", SERVICE, "sh"].
	Self []string
	// Open opens a URL in a browser; nil runs $BROWSER, else xdg-open (open
	// on macOS).
	Open func(url string) error
	// Now is the clock for uptimes; nil is time.Now.
	Now func() time.Time
	// StatsInterval is how often CPU and memory are sampled while the
	// services tab is visible and someone uses the UI; 0 is 5 s.
	StatsInterval time.Duration
	// IdleStatsInterval is how often they are sampled once no key has been
	// pressed for IdleAfter (the UI left open all day); 0 is 30 s. The
	// first key after that samples at once.
	IdleStatsInterval time.Duration
	// IdleAfter is how long without a key makes the UI idle; 0 is 1 minute.
	IdleAfter time.Duration
	// LogLines is how many lines of each service's log are kept; 0 is 5000.
	LogLines int
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.StatsInterval <= 0 {
		o.StatsInterval = 5 * time.Second
	}
	if o.IdleStatsInterval <= 0 {
		o.IdleStatsInterval = 30 * time.Second
	}
	if o.IdleAfter <= 0 {
		o.IdleAfter = time.Minute
	}
	if o.LogLines <= 0 {
		o.LogLines = 5000
	}
	if o.Open == nil {
		o.Open = openURL
	}
	return o
}

// fps is the renderer's frame rate: a change reaches the screen within
// 100 ms of its event, and an unchanged frame costs a string comparison.
// The renderer wakes at this rate even when idle; 20 cost about a third
// more idle CPU than 10 (measured with 30 containers on screen).
const fps = 10

// Run shows the UI on in and out until the user quits or ctx ends. It
// returns nil on a normal quit.
func Run(ctx context.Context, opts Options, in io.Reader, out io.Writer) error {
	if opts.Project == nil || opts.Engine == nil {
		return errors.New("tui: Options.Project and Options.Engine are required")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := New(ctx, opts)
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out), tea.WithFPS(fps))
	m.rt.send = p.Send
	var watch sync.WaitGroup
	defer watch.Wait() // after cancel: the bridge ends with ctx
	watch.Go(func() { WatchEngine(ctx, opts.Engine, opts.Project.Name, p.Send) })
	_, err := p.Run()
	ended := ctx.Err() != nil // the caller's ctx ended the program: no error
	// Quitting ends ctx: the calls in flight, the log follow, the pending
	// ticks and the panels' calls end with it.
	cancel()
	if errors.Is(err, tea.ErrProgramKilled) && ended {
		return nil
	}
	return err
}
