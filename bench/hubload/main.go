// Command hubload measures devenv's VPN hub in network namespaces: the real
// devenv binary serves the hub and runs the nodes, with real WireGuard
// devices; this program enrolls devices through vpn/hubclient and times how
// soon a new node is reachable through the tunnel. bench/hub.sh builds and
// runs it. It prints figures; it is not a test.
//
//	hubload -devenv /tmp/devenv -work /tmp/dir [-devices 1000] [-rounds 5]
//
// The enrolling clients must reach the hub's HTTPS API on its loopback, so
// hubload runs that phase as a copy of itself inside the hub's namespace
// ("hubload enroll …", see enroll.go), which answers in JSON on stdout.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == enrollCmd {
		err = runEnroll(ctx, os.Args[2:])
	} else {
		err = run(ctx, os.Args[1:])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hubload:", err)
		os.Exit(1)
	}
}

// options of a whole run.
type options struct {
	devenv  string       // the devenv binary under test
	work    string       // data and state directories, logs
	devices int          // enrolled concurrently
	rounds  int          // propagation rounds, a fresh device each
	network netip.Prefix // the hub's virtual LAN
	timeout time.Duration
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("hubload", flag.ContinueOnError)
	fs.StringVar(&o.devenv, "devenv", "", "the devenv binary (required)")
	fs.StringVar(&o.work, "work", "", "an empty directory for the hub's data, the nodes' state and the logs (required)")
	fs.IntVar(&o.devices, "devices", 1000, "devices enrolled at once")
	fs.IntVar(&o.rounds, "rounds", 5, "propagation rounds, each with a new device")
	network := fs.String("network", "100.100.0.0/16", "the hub's network")
	fs.DurationVar(&o.timeout, "reach-timeout", 10*time.Second, "give up on one reachability wait after this")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.devenv == "" || o.work == "" {
		return o, errors.New("-devenv and -work are required")
	}
	if o.devices < 1 || o.rounds < 1 || o.rounds > 200 {
		return o, errors.New("-devices must be positive and -rounds 1-200")
	}
	var err error
	if o.network, err = netip.ParsePrefix(*network); err != nil {
		return o, fmt.Errorf("-network: %w", err)
	}
	return o, nil
}

func run(ctx context.Context, args []string) error {
	o, err := parseOptions(args)
	if err != nil {
		return err
	}
	l, err := newLab(ctx, o)
	if err != nil {
		return err
	}
	defer l.close()
	var r report
	r.network = o.network
	if r.enroll, err = l.enrollLoad(ctx); err != nil {
		return err
	}
	if r.check, err = l.checkHub(ctx); err != nil {
		return err
	}
	r.hubBackend = l.hubBackend()
	if r.prop, err = l.propagation(ctx); err != nil {
		return err
	}
	r.print(os.Stdout, o)
	if r.enroll.Errors > 0 || len(r.prop.failed) > 0 {
		return errors.New("some operations failed; see above")
	}
	return nil
}
