package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/spf13/cobra"
)

// gatewayBinary is the program devenv gateway runs. The gateway is its own
// binary so that devenv, which every developer installs, carries neither
// the gateway, its userspace network stack nor the PostgreSQL parser (a cgo
// build); see ARCHITECTURE.md.
const gatewayBinary = "devenv-gateway"

// gatewayStopWait is how long a gateway may take to stop after devenv is
// interrupted before it is killed.
const gatewayStopWait = 30 * time.Second

func newGatewayCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "gateway",
		Short: "Run the production-access gateway (the devenv-gateway binary): serve, check, status",
		Long: `devenv gateway runs inside the production network: it registers the targets of its
configuration file with the hub and lets each approved access grant reach its one
target, read-only, through a userspace WireGuard tunnel, until the grant's deadline.

It is the devenv-gateway binary, found next to devenv or on PATH; devenv gateway ARGS
runs devenv-gateway ARGS. Install it on the gateway machine:

  go install github.com/devenv-dev/devenv/cmd/devenv-gateway@latest

  devenv gateway check --config gateway.yaml   # validate, list the targets, inspect the logins
  devenv gateway serve --config gateway.yaml   # run until interrupted
  devenv gateway status --config gateway.yaml  # last contact with the hub, saved grants, audit backlog`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := findGateway(); err != nil && asksHelp(args) {
				return cmd.Help() // the help above says how to install it
			}
			return runGateway(cmd.Context(), g, args)
		},
	}
}

// runGateway runs devenv-gateway with args: in devenv's place when devenv is
// a process of its own with its standard streams, else as a child with the
// given streams, interrupted when ctx ends, returning its exit status.
func runGateway(ctx context.Context, g *globals, args []string) error {
	path, err := findGateway()
	if err != nil {
		return err
	}
	env := append(os.Environ(), "DEVENV_GATEWAY_AS=devenv gateway")
	if g.stdin == os.Stdin && g.stdout == os.Stdout && g.stderr == os.Stderr {
		// devenv is the process: become the gateway. A supervisor's
		// signals, even SIGKILL, then reach it and not a parent that
		// would leave it running.
		if err := execGateway(path, args, env); !errors.Is(err, errors.ErrUnsupported) {
			return fmt.Errorf("running %s: %w", path, err)
		}
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = g.stdin, g.stdout, g.stderr
	cmd.Env = env
	cmd.Cancel = func() error {
		if runtime.GOOS == "windows" { // no interrupt to send there
			return cmd.Process.Kill()
		}
		return cmd.Process.Signal(os.Interrupt)
	}
	cmd.WaitDelay = gatewayStopWait
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		return exitCodeError(exit.ExitCode()) // it has said why
	}
	return fmt.Errorf("running %s: %w", path, err)
}

// asksHelp reports whether args ask for help rather than a command.
func asksHelp(args []string) bool {
	return len(args) == 0 || slices.Contains(args, "-h") || slices.Contains(args, "--help") || args[0] == "help"
}

// findGateway looks for devenv-gateway next to the running devenv, then on
// PATH, and says how to install it when it is in neither place.
func findGateway() (string, error) {
	name := gatewayBinary
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	var beside string
	if exe, err := os.Executable(); err == nil {
		beside = filepath.Join(filepath.Dir(exe), name)
		if st, err := os.Stat(beside); err == nil && !st.IsDir() {
			return beside, nil
		}
	}
	if p, err := exec.LookPath(gatewayBinary); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("devenv gateway runs %s, which is neither next to devenv (%s) nor on PATH: "+
		"install it with go install github.com/devenv-dev/devenv/cmd/devenv-gateway@latest "+
		"(or go build -o DIR ./cmd/devenv-gateway in a checkout)", gatewayBinary, beside)
}
