// Package gatewaycli is the command line of devenv-gateway, the production
// access gateway: serve, check and status. It is its own binary so that
// every developer's devenv carries neither the gateway, its userspace
// network stack nor the PostgreSQL parser (a cgo build); devenv gateway
// runs this binary.
package gatewaycli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

// Exit codes, the same as devenv's.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitInterrupted = 130
)

// NameEnv names how the user called the gateway, for its help: devenv
// gateway sets it to "devenv gateway" when it runs this binary.
const NameEnv = "DEVENV_GATEWAY_AS"

// globals are what every command shares.
type globals struct {
	config string // --config
	stdout io.Writer
	stderr io.Writer
}

// usageError marks errors in how the command was called.
type usageError struct{ error }

// Run runs the gateway's command line and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := &globals{stdout: stdout, stderr: stderr}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(stderr, "%s: %v\n", name(), err)
	var use usageError
	switch {
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &use):
		return ExitUsage
	}
	return ExitError
}

func name() string {
	if n := strings.TrimSpace(os.Getenv(NameEnv)); n != "" {
		return n
	}
	return "devenv-gateway"
}

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

// checkOutput accepts the values of -o/--output.
func checkOutput(o string) error {
	switch o {
	case "", "table", "json":
		return nil
	}
	return usageError{fmt.Errorf("--output %q: use table or json", o)}
}
