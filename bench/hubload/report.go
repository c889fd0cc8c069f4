package main

import (
	"fmt"
	"io"
	"math"
	"net/netip"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// reachTarget is the most a new node may take to be reachable.
const reachTarget = time.Second

// report is everything one run measured.
type report struct {
	network    netip.Prefix
	hubBackend string
	enroll     enrollResult
	check      hubCheck
	prop       propagation
}

func (r report) print(w io.Writer, o options) {
	e := r.enroll
	fmt.Fprintf(w, "\n== enrollment: %d devices at once ==\n", e.Devices)
	fmt.Fprintf(w, "hub: devenv hub serve in its own namespace, %s WireGuard device (%s), network %s\n",
		r.hubBackend, backendNote(r.hubBackend), r.network)
	fmt.Fprintf(w, "clients: %d hubclient.Enroll calls from the hub's namespace to https://127.0.0.1:%s (pinned fingerprint),\n"+
		"  each with its own key and its own TCP+TLS connection, all released at once; latency is one call\n", e.Devices, apiPort)
	fmt.Fprintf(w, "invites: %d created first through the admin socket, one after another: %s (median %s each)\n\n",
		len(e.Invites), dur(e.InviteWall), dur(percentile(e.Invites, 0.5)))
	t := newTable(w, "figure", "value", "target", "")
	t.row("enroll latency p50", dur(percentile(e.Latencies, 0.50)), "none set", "")
	t.row("enroll latency p90", dur(percentile(e.Latencies, 0.90)), "none set", "")
	t.row("enroll latency p99", dur(percentile(e.Latencies, 0.99)), "none set", "")
	t.row("enroll latency max", dur(percentile(e.Latencies, 1)), "none set", "")
	t.row("  of which TCP+TLS handshake, p50 / p99", dur(percentile(e.Handshakes, 0.5))+" / "+dur(percentile(e.Handshakes, 0.99)), "", "")
	t.row("  of which request → answer, p50 / p99", dur(percentile(e.Answers, 0.5))+" / "+dur(percentile(e.Answers, 0.99)), "", "")
	t.row(fmt.Sprintf("wall time, %d enrollments", e.Devices), dur(e.Wall), "none set", "")
	t.row("throughput", fmt.Sprintf("%.0f/s", float64(len(e.Latencies))/e.Wall.Seconds()), "none set", "")
	t.count("errors", e.Errors, 0)
	t.count("distinct addresses", e.Distinct, e.Devices)
	t.count("addresses outside the network", e.Outside, 0)
	t.count("live devices in the hub's store", r.check.live, e.Devices)
	t.count("peers on the hub's WireGuard device", r.check.peers, e.Devices)
	t.flush()
	for _, s := range e.ErrorSamples {
		fmt.Fprintf(w, "  error: %s\n", s)
	}
	r.printPropagation(w, o)
}

func (r report) printPropagation(w io.Writer, o options) {
	p := r.prop
	fmt.Fprintf(w, "\n== propagation: a new node reachable from an existing one; the hub holds the %d devices above, a, and the earlier b's ==\n", r.check.live)
	fmt.Fprintf(w, "namespaces hub, a, b1…b%d on one bridge; the hub forwards (hub serve sets ip_forward); nodes are\n"+
		"devenv vpn up --foreground, %s device (%s); a pings b's tunnel address every %v, each probe a new echo\n",
		o.rounds, p.aBackend, backendNote(p.aBackend), probeEvery)
	fmt.Fprintf(w, "node a: start → the hub answers through the tunnel: %s\n\n", dur(p.aUp))
	t := newTable(w, "round", "b's address", "join (process)", "node start → a reaches b")
	var reach []time.Duration
	for i, rd := range p.rounds {
		t.row(fmt.Sprint(i+1), rd.addr.String(), dur(rd.join), dur(rd.reach))
		reach = append(reach, rd.reach)
	}
	t.flush()
	for _, f := range p.failed {
		fmt.Fprintf(w, "  not reached: %s\n", f)
	}
	fmt.Fprintln(w)
	t = newTable(w, "figure", "value", "target", "")
	if len(reach) > 0 {
		t.limit(fmt.Sprintf("propagation median of %d", len(reach)), percentile(reach, 0.5), reachTarget)
		t.limit("propagation max", percentile(reach, 1), reachTarget)
	}
	t.count("rounds not reached", len(p.failed), 0)
	t.flush()
}

func backendNote(b string) string {
	switch b {
	case "userspace":
		return "wireguard-go on TUN"
	case "kernel":
		return "kernel module"
	}
	return "as logged"
}

// table prints aligned rows: figure, value, target, verdict.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) table {
	t := table{tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t table) row(cols ...string) { fmt.Fprintln(t.tw, strings.Join(cols, "\t")) }
func (t table) flush()             { t.tw.Flush() }

func (t table) count(name string, got, want int) {
	t.row(name, fmt.Sprint(got), fmt.Sprint(want), verdict(got == want))
}

func (t table) limit(name string, got, most time.Duration) {
	t.row(name, dur(got), "≤ "+dur(most), verdict(got <= most))
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// percentile is the nearest-rank percentile q (0 < q ≤ 1) of ds.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(i, 0)]
}

func dur(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}
