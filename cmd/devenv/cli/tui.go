package cli

import (
	"context"
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/images"
	"github.com/devenv-dev/devenv/tui"
	"github.com/devenv-dev/devenv/tui/accessview"
	"github.com/devenv-dev/devenv/tui/vpnview"
)

func newTUICmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:               "tui [ENVIRONMENT]",
		ValidArgsFunction: completeEnvironments(g),
		Short:             "Open the interactive UI: services, logs and actions (devenv alone does too, on a terminal)",
		Long: `Shows the project's services live (state, health, ports, image, uptime, CPU, memory), follows a
service's log, and restarts, stops, starts, pulls, brings up or down the stack. The up key brings
up ENVIRONMENT (default: "default"). Press ? in the UI for every key.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			environment := ""
			if len(args) == 1 {
				environment = args[0]
			}
			return runTUI(cmd.Context(), g, environment)
		},
	}
}

// rootRun opens the UI when devenv runs alone on a terminal with an
// envs.yaml to show, and prints the help otherwise.
func rootRun(cmd *cobra.Command, g *globals) error {
	if uiTerminalProblem(g) != "" {
		return cmd.Help()
	}
	if _, err := config.FindFile(g.loadOptions("")); errors.Is(err, config.ErrNoFile) {
		return cmd.Help()
	}
	return runTUI(cmd.Context(), g, "")
}

// uiTerminalProblem says why the UI cannot be drawn here, or "" when it
// can: it needs a terminal on stdin and stdout that can move the cursor.
// Nothing is asked of the terminal to decide.
func uiTerminalProblem(g *globals) string {
	if !isTerminal(g.stdout) || !isTerminalReader(g.stdin) {
		return "the interactive UI needs a terminal on stdin and stdout"
	}
	if os.Getenv("TERM") == "dumb" {
		return "the interactive UI cannot draw on a terminal without cursor movement (TERM=dumb)"
	}
	return ""
}

func isTerminalReader(r any) bool {
	f, ok := r.(*os.File)
	return ok && isTerminal(f)
}

func runTUI(ctx context.Context, g *globals, environment string) error {
	p, eng, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer eng.Close()
	if environment != "" {
		if _, err := p.Resolve(environment); err != nil {
			return err
		}
	}
	if problem := uiTerminalProblem(g); problem != "" {
		return usageError{errors.New(problem + "; use devenv ps or devenv logs -f instead")}
	}
	pins, _, err := env.ReadPins(p)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	self := []string{exe, "-f", p.File}
	if g.project != "" {
		self = append(self, "-p", g.project)
	}
	vpnSrc := vpnview.LocalSource("")
	vpnSrc.UpCommand = []string{exe, "vpn", "up", "--foreground"}
	return tui.Run(ctx, tui.Options{
		Project:     p,
		Engine:      eng,
		Stats:       eng,
		Environment: environment,
		Pull: func(ctx context.Context, reqs []images.Request, rep images.Reporter) (map[string]images.Result, error) {
			return images.Pull(ctx, eng.Client(), reqs, images.PullOptions{Progress: rep})
		},
		Pins: pins,
		Self: self,
		// The VPN and access panels read the default vpn state directory,
		// as devenv vpn and devenv access do without --state-dir.
		Panels: []tui.Panel{vpnview.New(vpnSrc), accessview.New(accessview.StateSource(""))},
	}, g.stdin, g.stdout)
}
