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
	fmt.Fprintf(w, "idle: %s windows, nothing touched; CPU seconds (user+system from /proc/PID/stat) and %% of one core\n", o.window)
	fmt.Fprintf(w, "  %-24s %-22s", "window", "UI process")
	engines := []string{"dockerd", "containerd"}
	engines = slices.DeleteFunc(engines, func(n string) bool { return pids[n] == 0 })
	for _, n := range engines {
		fmt.Fprintf(w, " %-22s", n)
	}
	fmt.Fprintln(w)
	row := func(label string, u usage, ui bool) {
		fmt.Fprintf(w, "  %-24s", label)
		if ui {
			fmt.Fprintf(w, " %-22s", cpu(u, "ui"))
		} else {
			fmt.Fprintf(w, " %-22s", "-")
		}
		for _, n := range engines {
			fmt.Fprintf(w, " %-22s", cpu(u, n))
		}
		fmt.Fprintln(w)
	}
	row("no UI (before)", r.baseline[0], false)
	for _, t := range o.tools {
		row(t.name+" UI", r.idle[t.name], true)
	}
	row("no UI (after)", r.baseline[1], false)
	for _, n := range engines {
		base := (r.baseline[0].percent(n) + r.baseline[1].percent(n)) / 2
		for _, t := range o.tools {
			fmt.Fprintf(w, "  %s extra with the %s UI: %+.2f %% of a core (%.2f %% vs %.2f %%, the mean of the two windows without a UI)\n",
				n, t.name, r.idle[t.name].percent(n)-base, r.idle[t.name].percent(n), base)
		}
	}
	for _, t := range o.tools {
		p := r.idle[t.name].percent("ui")
		fmt.Fprintf(w, "  %s UI idle: %.3f %% of a core; target <= %.1f %%: %s\n", t.name, p, idleTarget, verdict(p <= idleTarget))
	}
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
		fmt.Fprintf(w, "  %s: median %s, max %s from the engine's event; target <= %s: %s (%d of %d containers were on its first screen)\n",
			t.name, ms(median(ev)), ms(slices.Max(ev)), ms(latencyTarget),
			verdict(median(ev) <= latencyTarget && slices.Max(ev) <= latencyTarget), r.visible[t.name], o.services)
	}
	fmt.Fprintln(w, "  from the event: the engine's die/start event time (docker events, same clock) to the first capture showing it;")
	fmt.Fprintln(w, "  (call): from the moment the stop/start API call was made, so it includes the container's own stop time.")
}

func cpu(u usage, name string) string {
	return fmt.Sprintf("%.2f s (%.3f %%)", u.cpu[name], u.percent(name))
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
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
