package main

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// Targets from the issue: idle CPU of the UI and state-change latency.
const (
	idleTarget    = 0.5 // % of one core
	latencyTarget = 200 * time.Millisecond
)

// reporter prints the figures as they are measured: each section's header
// before its first measurement, each row as soon as it is known, and the
// summaries once their section is done, so that a run that fails later
// keeps everything it measured.
type reporter struct {
	w       io.Writer
	o       options
	engines []string // the engine's processes that are watched
}

func newReporter(w io.Writer, o options, pids map[string]int) *reporter {
	engines := slices.DeleteFunc([]string{"dockerd", "containerd"}, func(n string) bool { return pids[n] == 0 })
	return &reporter{w: w, o: o, engines: engines}
}

func (r *reporter) idleHeader() {
	fmt.Fprintf(r.w, "idle: %s windows, nothing touched; CPU seconds (user+system from /proc/PID/stat) and %% of one core\n", r.o.window)
	fmt.Fprintf(r.w, "  %-24s %-22s", "window", "UI process")
	for _, n := range r.engines {
		fmt.Fprintf(r.w, " %-22s", n)
	}
	fmt.Fprintln(r.w)
}

// idleRow prints one window, or what failed in it.
func (r *reporter) idleRow(win window) {
	label, ui := fmt.Sprintf("%d: no UI", win.round), "-"
	if win.tool != "" {
		label, ui = fmt.Sprintf("%d: %s UI", win.round, win.tool), cpu(win.usage, "ui")
	}
	if win.err != nil {
		fmt.Fprintf(r.w, "  %-24s FAILED: %s\n", label, oneLine(win.err))
		return
	}
	fmt.Fprintf(r.w, "  %-24s %-22s", label, ui)
	for _, n := range r.engines {
		fmt.Fprintf(r.w, " %-22s", cpu(win.usage, n))
	}
	fmt.Fprintln(r.w)
}

// idleSummary prints per UI the median of its windows and the engine's
// extra: the median of the UI's windows minus the median of the windows
// without a UI. Failed windows count for nothing.
func (r *reporter) idleSummary(windows []window) {
	pct := func(tool, name string) (float64, int) {
		var v []float64
		for _, win := range windows {
			if win.tool == tool && win.err == nil {
				v = append(v, win.percent(name))
			}
		}
		if len(v) == 0 {
			return 0, 0
		}
		return medianOf(v), len(v)
	}
	for _, t := range r.o.tools {
		for _, n := range r.engines {
			with, nw := pct(t.name, n)
			without, _ := pct("", n)
			if nw == 0 {
				continue
			}
			fmt.Fprintf(r.w, "  %s extra with the %s UI: %+.2f %% of a core (median %.2f %% with it, %.2f %% without)\n",
				n, t.name, with-without, with, without)
		}
	}
	for _, t := range r.o.tools {
		p, n := pct(t.name, "ui")
		if n == 0 {
			fmt.Fprintf(r.w, "  %s UI idle: no figure (every one of its %d windows failed)\n", t.name, r.o.rounds)
			continue
		}
		of := ""
		if n < r.o.rounds {
			of = fmt.Sprintf("; %d of %d failed", r.o.rounds-n, r.o.rounds)
		}
		fmt.Fprintf(r.w, "  %s UI idle: %.3f %% of a core (median of %d windows%s)%s\n",
			t.name, p, n, of, judged(t, fmt.Sprintf("%.1f %%", idleTarget), p <= idleTarget))
	}
}

func (r *reporter) latencyHeader() {
	fmt.Fprintf(r.w, "latency: docker stop / docker start through the API -> the screen shows exited / running (tmux capture-pane every %s)\n", pollEvery)
	fmt.Fprintf(r.w, "  %-12s %-16s %4s %10s %10s %14s %14s\n", "UI", "change", "n", "median", "max", "median (call)", "max (call)")
}

// latencyRows prints one UI's latency figures: its rows, and when the step
// failed, a row that says where and why, after the changes measured before.
func (r *reporter) latencyRows(t tool, all []sample, visible int, err error) {
	stops := slices.DeleteFunc(slices.Clone(all), func(s sample) bool { return !s.stop })
	starts := slices.DeleteFunc(slices.Clone(all), func(s sample) bool { return s.stop })
	latRow(r.w, t.name, "stop -> exited", stops)
	latRow(r.w, t.name, "start -> running", starts)
	latRow(r.w, t.name, "all", all)
	if err != nil {
		fmt.Fprintf(r.w, "  %-12s FAILED at change %d of %d: %s\n", t.name, len(all)+1, r.o.changes, oneLine(err))
	}
	on := fmt.Sprintf("(%d of %d containers were on its first screen)", visible, r.o.services)
	switch {
	case len(all) == 0:
		fmt.Fprintf(r.w, "  %s: no latency figure: the step failed before its first change\n", t.name)
	case err != nil:
		ev := durations(all, false)
		fmt.Fprintf(r.w, "  %s: median %s, max %s from the engine's event over the %d changes before the failure; target not judged %s\n",
			t.name, ms(median(ev)), ms(slices.Max(ev)), len(all), on)
	default:
		ev := durations(all, false)
		fmt.Fprintf(r.w, "  %s: median %s, max %s from the engine's event%s %s\n",
			t.name, ms(median(ev)), ms(slices.Max(ev)), judged(t, ms(latencyTarget), slices.Max(ev) <= latencyTarget), on)
	}
}

func (r *reporter) latencyFooter() {
	fmt.Fprintln(r.w, "  from the event: the engine's die/start event time (docker events, same clock) to the first capture showing it;")
	fmt.Fprintln(r.w, "  (call): from the moment the stop/start API call was made, so it includes the container's own stop time.")
}

// oneLine is an error for a table row: a stepFailure's own words without
// the screen it carries (that goes to stderr), else the error's first line.
func oneLine(err error) string {
	if f, ok := asStepFailure(err); ok {
		return f.what
	}
	s := err.Error()
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}

func medianOf(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func cpu(u usage, name string) string {
	return fmt.Sprintf("%.2f s (%.3f %%)", u.cpu[name], u.percent(name))
}

// judged says whether devenv met a target; the peers have none.
func judged(t tool, limit string, ok bool) string {
	if t.name != "devenv" {
		return ""
	}
	if ok {
		return "; target <= " + limit + ": met"
	}
	return "; target <= " + limit + ": MISSED"
}

func latRow(w io.Writer, ui, what string, s []sample) {
	if len(s) == 0 {
		return
	}
	ev, call := durations(s, false), durations(s, true)
	fmt.Fprintf(w, "  %-12s %-16s %4d %10s %10s %14s %14s\n", ui, what, len(s),
		ms(median(ev)), ms(slices.Max(ev)), ms(median(call)), ms(slices.Max(call)))
}

func durations(s []sample, fromCall bool) []time.Duration {
	out := make([]time.Duration, len(s))
	for i, x := range s {
		out[i] = x.fromEvent
		if fromCall {
			out[i] = x.fromCall
		}
	}
	return out
}

// median of d (the mean of the middle two for an even count).
func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
