package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"
)

func printDeadline(w io.Writer, o deadlineOptions, rounds []roundResult) {
	fmt.Fprintf(w, "\n== deadline precision: %d grants per round, NotAfter spread evenly over %v, %d rounds ==\n",
		o.grants, o.spread, len(rounds))
	fmt.Fprintf(w, "in one process: access/gateway with a fake hub (grants through its long-poll), one http target on\n"+
		"%s (/stream writes a line every %v); %d netstack client devices per round, one per grant key,\n"+
		"each with one streaming GET through the tunnel. late = when the client's read of the body failed − NotAfter;\n"+
		"quiet = the longest any stream of the round went without data before its NotAfter (NotAfter − last bytes).\n"+
		"p99 is nearest-rank: of %d samples it is the %s.\n\n",
		o.upstream, streamEvery, o.grants, o.grants, rankName(o.grants, 0.99))
	t := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(t, "round\tcut\tnot live\tnot cut\tall live before first deadline\tquiet\tlate min\tp50\tp99\tmax\t")
	var all []time.Duration
	for i, r := range rounds {
		all = append(all, r.late...)
		fmt.Fprintf(t, "%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", i+1, len(r.late), r.notLive, r.notCut, dur(r.liveBy), dur(r.quiet),
			dur(percentile(r.late, 0)), dur(percentile(r.late, 0.5)), dur(percentile(r.late, 0.99)), dur(percentile(r.late, 1)))
	}
	t.Flush()
	fmt.Fprintf(w, "\nall rounds, %d samples (p99 is the %s): p50 %s, p99 %s, max %s; target p99 ≤ %v: %s\n",
		len(all), rankName(len(all), 0.99), dur(percentile(all, 0.5)), dur(percentile(all, 0.99)), dur(percentile(all, 1)),
		deadlineTarget, verdict(len(all) > 0 && percentile(all, 0.99) <= deadlineTarget))
}

// percentile is the nearest-rank p-quantile of ds (p=0: the minimum).
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[rank(len(s), p)-1]
}

// rank is the 1-based nearest rank of quantile p among n samples.
func rank(n int, p float64) int {
	return min(max(int(math.Ceil(p*float64(n))), 1), n)
}

func rankName(n int, p float64) string {
	if r := rank(n, p); r < n {
		return fmt.Sprintf("sample %d of %d in order", r, n)
	}
	return "largest sample"
}

func dur(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}
