// Command devenv-gateway runs inside the production network: it registers
// its targets with the devenv hub and serves each approved access grant,
// read-only and until its deadline, through a userspace WireGuard tunnel.
// devenv gateway runs this binary; see docs/access.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/devenv-dev/devenv/cmd/devenv-gateway/gatewaycli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := gatewaycli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
