// Command accessbench measures devenv's production-access gateway
// (access/gateway) in one process, with a fake hub serving the grants, real
// netstack WireGuard devices on loopback and the real read-only HTTP proxy.
// bench/access.sh builds and runs it; it prints figures and is not a test.
//
//	accessbench upstream -addr-file F              the "production" HTTP server
//	accessbench deadline -upstream URL [-grants 50] [-spread 2s] [-rounds 3]
//	accessbench proxy -upstream URL -addr-file F   proxy/httpproxy on a plain net/http server
//	accessbench tunnel -upstream URL -addr-file F  client netstack → gateway → proxy
//
// The servers write their 127.0.0.1 address to the -addr-file once they
// listen and serve until SIGINT or SIGTERM. Figures go to stdout, progress
// to stderr.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

var commands = map[string]func(ctx context.Context, args []string) error{
	"upstream": runUpstream,
	"deadline": runDeadline,
	"proxy":    runProxy,
	"tunnel":   runTunnel,
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) < 2 || commands[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: accessbench upstream|deadline|proxy|tunnel [flags]")
		os.Exit(2)
	}
	if err := commands[os.Args[1]](ctx, os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "accessbench %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
