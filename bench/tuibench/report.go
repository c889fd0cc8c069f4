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

func report(w io.Writer, o options, pids map[string]int, r results) {
	engines := slices.DeleteFunc([]string{"dockerd", "containerd"}, func(n string) bool { return pids[n] == 0 })
	idleReport(w, o, engines, r.windows)
	fmt.Fprintln(w)
	fmt.Fprintf(w, "latency: docker stop / docker start through the API -> the screen shows exited / running (tmux capture-pane every %s)\n", pollEvery)
	fmt.Fprintf(w, "  %-12s %-16s %4s %10s %10s %14s %14s\n", "UI", "change", "n", "median", "max", "median (call)", "max (call)")
	for _, t := range o.tools {
		all := r.lat[t.name]
		stops := slices.DeleteFunc(slices.Clone(all), func(s sample) bool { return !s.stop })
		starts := slices.DeleteFunc(slices.Clone(all), func(s sample) bool { return s.stop })
		latRow(w, t.name, "stop -> exited", stops)
		latRow(w, t.name, "start -> running", starts)
		latRow(w, t.name, "all", all)
		ev := durations(all, false)
		fmt.Fprintf(w, "  %s: median %s, max %s from the engine's event%s (%d of %d containers were on its first screen)\n",
			t.name, ms(median(ev)), ms(slices.Max(ev)), judged(t, ms(latencyTarget), slices.Max(ev) <= latencyTarget),
			r.visible[t.name], o.services)
	}
	fmt.Fprintln(w, "  from the event: the engine's die/start event time (docker events, same clock) to the first capture showing it;")
	fmt.Fprintln(w, "  (call): from the moment the stop/start API call was made, so it includes the container's own stop time.")
}

// idleReport prints every idle window, then per UI the median of its
// windows and the engine's extra: the median of the UI's windows minus the
// median of the windows without a UI.
func idleReport(w io.Writer, o options, engines []string, windows []window) {
	fmt.Fprintf(w, "idle: %s windows, nothing touched; CPU seconds (user+system from /proc/PID/stat) and %% of one core\n", o.window)
	fmt.Fprintf(w, "  %-24s %-22s", "window", "UI process")
	for _, n := range engines {
		fmt.Fprintf(w, " %-22s", n)
	}
	fmt.Fprintln(w)
	for _, win := range windows {
		label, ui := fmt.Sprintf("%d: no UI", win.round), "-"
		if win.tool != "" {
			label, ui = fmt.Sprintf("%d: %s UI", win.round, win.tool), cpu(win.usage, "ui")
		}
		fmt.Fprintf(w, "  %-24s %-22s", label, ui)
		for _, n := range engines {
			fmt.Fprintf(w, " %-22s", cpu(win.usage, n))
		}
		fmt.Fprintln(w)
	}
	pct := func(tool, name string) float64 {
		var v []float64
		for _, win := range windows {
			if win.tool == tool {
				v = append(v, win.percent(name))
			}
		}
		return medianOf(v)
	}
	for _, t := range o.tools {
		for _, n := range engines {
			fmt.Fprintf(w, "  %s extra with the %s UI: %+.2f %% of a core (median %.2f %% with it, %.2f %% without)\n",
				n, t.name, pct(t.name, n)-pct("", n), pct(t.name, n), pct("", n))
		}
	}
	for _, t := range o.tools {
		p := pct(t.name, "ui")
		fmt.Fprintf(w, "  %s UI idle: %.3f %% of a core (median of %d windows)%s\n",
			t.name, p, o.rounds, judged(t, fmt.Sprintf("%.1f %%", idleTarget), p <= idleTarget))
	}
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
