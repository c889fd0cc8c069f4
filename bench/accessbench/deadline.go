package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// deadlineTarget is the most a grant's live connection may outlive its
// NotAfter, at p99.
const deadlineTarget = 100 * time.Millisecond

// cutWait is how long after the last deadline a round waits for streams
// still live; those are reported as not cut.
const cutWait = 5 * time.Second

type deadlineOptions struct {
	upstream string
	grants   int
	spread   time.Duration // first to last NotAfter of a round
	lead     time.Duration // from setting the grants to the first NotAfter
	rounds   int
	verbose  bool
}

func parseDeadline(args []string) (deadlineOptions, error) {
	var o deadlineOptions
	fs := flag.NewFlagSet("deadline", flag.ContinueOnError)
	fs.StringVar(&o.upstream, "upstream", "", "the upstream's base URL; empty: one in this process")
	fs.IntVar(&o.grants, "grants", 50, "grants per round, each with its own client device and stream")
	fs.DurationVar(&o.spread, "spread", 2*time.Second, "the grants' NotAfter are spread evenly over this")
	fs.DurationVar(&o.lead, "lead", 3*time.Second, "from setting the grants to the first NotAfter: time to connect every stream")
	fs.IntVar(&o.rounds, "rounds", 3, "rounds, each with new keys, addresses and grants")
	fs.BoolVar(&o.verbose, "v", false, "the gateway's info log on stderr")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.grants < 1 || o.grants > 240 || o.rounds < 1 || o.rounds > 200 || o.spread < 0 || o.lead <= 0 {
		return o, errors.New("want 1-240 grants, 1-200 rounds, spread ≥ 0 and lead > 0")
	}
	return o, nil
}

func runDeadline(ctx context.Context, args []string) error {
	o, err := parseDeadline(args)
	if err != nil {
		return err
	}
	if o.upstream == "" {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: upstream(new(atomic.Int64))}
		go srv.Serve(l)
		defer srv.Close()
		o.upstream = "http://" + l.Addr().String()
	}
	stateDir, err := os.MkdirTemp("", "accessbench-gw-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stateDir)
	r, err := startGateway(o.upstream, stateDir, quietLog(o.verbose))
	if err != nil {
		return err
	}
	defer r.stop()

	var rounds []roundResult
	for i := range o.rounds {
		fmt.Fprintf(os.Stderr, "deadline round %d/%d: %d grants\n", i+1, o.rounds, o.grants)
		res, err := deadlineRound(ctx, r, o, i)
		if err != nil {
			return fmt.Errorf("round %d: %w", i+1, err)
		}
		rounds = append(rounds, res)
	}
	printDeadline(os.Stdout, o, rounds)
	return failedStreams(rounds)
}

// roundResult is what one round saw.
type roundResult struct {
	late    []time.Duration // cut − NotAfter of every stream that was live
	quiet   time.Duration   // the longest any stream went without data before its NotAfter: NotAfter − its last bytes
	liveBy  time.Duration   // all streams were live this long before the first NotAfter (negative: after)
	notLive int             // streams that never delivered a line before their NotAfter
	notCut  int             // streams still live cutWait after the last NotAfter
}

// stream is one grant's streaming GET as its client saw it.
type stream struct {
	live time.Time // first bytes of the body; zero: never
	last time.Time // last bytes of the body
	cut  time.Time // the body's read failed or ended; zero: never
	err  error
}

// deadlineRound gives each of o.grants new client devices a grant, the
// NotAfter spread over o.spread starting o.lead from now, starts one
// streaming GET per grant through the gateway and notes when each is cut.
func deadlineRound(ctx context.Context, r *gwRun, o deadlineOptions, round int) (roundResult, error) {
	first := time.Now().Add(o.lead)
	clients, err := openClients(r, o, round, first)
	defer func() {
		for _, c := range clients {
			c.dev.Close()
		}
	}()
	if err != nil {
		return roundResult{}, err
	}
	grants := make([]hubapi.Grant, len(clients))
	for i, c := range clients {
		grants[i] = c.grant
	}
	applyCtx, cancel := context.WithDeadline(ctx, first)
	defer cancel()
	if err := r.hub.waitApplied(applyCtx, r.hub.set(grants)); err != nil {
		return roundResult{}, fmt.Errorf("the gateway did not take the grants before the first deadline: %w", err)
	}
	last := grants[len(grants)-1].NotAfter
	streamCtx, stop := context.WithDeadline(ctx, last.Add(cutWait))
	defer stop()
	streams := make([]stream, len(clients))
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() { streams[i] = watchStream(streamCtx, c) })
	}
	wg.Wait()
	if ctx.Err() != nil {
		return roundResult{}, ctx.Err()
	}
	time.Sleep(500 * time.Millisecond) // the gateway drops the round's peers
	return tally(streams, grants, first), nil
}

func openClients(r *gwRun, o deadlineOptions, round int, first time.Time) ([]*client, error) {
	var clients []*client
	for i := range o.grants {
		notAfter := first
		if o.grants > 1 {
			notAfter = first.Add(o.spread * time.Duration(i) / time.Duration(o.grants-1))
		}
		addr := netip.AddrFrom4([4]byte{100, 101, byte(round%250 + 1), byte(i + 10)})
		c, err := r.openClient(addr, fmt.Sprintf("round%d-grant%d", round+1, i+1), notAfter)
		if err != nil {
			return clients, err
		}
		clients = append(clients, c)
	}
	return clients, nil
}

// watchStream GETs /stream through c's tunnel and reads it until it ends.
func watchStream(ctx context.Context, c *client) stream {
	var s stream
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+c.target+"/stream", nil)
	if err != nil {
		return stream{err: err}
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return stream{err: err, cut: time.Now()}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return stream{err: fmt.Errorf("status %s", resp.Status), cut: time.Now()}
	}
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			s.last = time.Now()
			if s.live.IsZero() {
				s.live = s.last
			}
		}
		if err != nil {
			if ctx.Err() == nil {
				s.cut = time.Now()
			}
			s.err = err
			return s
		}
	}
}

// tally compares each stream's cut with its grant's NotAfter.
func tally(streams []stream, grants []hubapi.Grant, first time.Time) roundResult {
	var res roundResult
	var allLive time.Time
	for i, s := range streams {
		na := grants[i].NotAfter
		switch {
		case s.live.IsZero() || !s.live.Before(na):
			res.notLive++
			fmt.Fprintf(os.Stderr, "  %s: no line before its deadline (%v)\n", grants[i].RequestID, s.err)
			continue
		case s.cut.IsZero():
			res.notCut++
			continue
		}
		res.late = append(res.late, s.cut.Sub(na))
		res.quiet = max(res.quiet, na.Sub(s.last))
		if s.live.After(allLive) {
			allLive = s.live
		}
	}
	res.liveBy = first.Sub(allLive)
	return res
}

func failedStreams(rounds []roundResult) error {
	var notLive, notCut int
	for _, r := range rounds {
		notLive += r.notLive
		notCut += r.notCut
	}
	if notLive+notCut > 0 {
		return fmt.Errorf("%d streams never live, %d not cut within %v of their deadline", notLive, notCut, cutWait)
	}
	return nil
}
