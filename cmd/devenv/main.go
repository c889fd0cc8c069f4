// Command devenv gives every developer the team's whole service stack on their
// own machine. See README.md for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/devenv-dev/devenv/cmd/devenv/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
