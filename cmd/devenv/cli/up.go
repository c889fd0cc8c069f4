package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/images"
)

func newUpCmd(g *globals) *cobra.Command {
	var (
		o        env.UpOptions
		attach   bool
		watch    bool
		parallel int
		services []string
	)
	cmd := &cobra.Command{
		Use:               "up [ENVIRONMENT]",
		ValidArgsFunction: completeEnvironments(g),
		Short:             "Bring up an environment (default: \"default\") and wait until it is ready",
		Long: `Pulls missing images, creates or recreates only what changed, starts every service as soon as
its dependencies' conditions hold, and waits until all are healthy (or started, for services
without a health check). Running it again changes nothing. The stack keeps running after up
exits; --attach follows its logs until Ctrl-C.

--dry-run prints the plan and changes nothing; -o json prints the plan (applied, or with
--dry-run not) as JSON on stdout. Progress goes to stderr as --progress says.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Environment = args[0]
			}
			if err := validPull(o.Pull); err != nil {
				return err
			}
			if attach && g.jsonOut() {
				return usageError{errors.New("--attach follows the logs as text; for JSON, run devenv logs -f -o json after up")}
			}
			o.Services = services
			if watch && (attach || o.DryRun) {
				return usageError{errors.New("--watch cannot go with --attach or --dry-run")}
			}
			if err := runUp(cmd, g, o, attach, parallel); err != nil || !watch {
				return err
			}
			return watchAfterUp(cmd, g, o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.DryRun, "dry-run", false, "print the plan and change nothing")
	f.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "give up after this long (0: never)")
	f.BoolVar(&o.NoWait, "no-wait", false, "return once containers are started; do not wait for health checks")
	f.StringVar(&o.Pull, "pull", "", "pull policy for this run: missing, always or never (default: each service's pull_policy)")
	f.IntVar(&parallel, "parallel", images.DefaultParallel, "pull at most this many images at once")
	f.BoolVar(&o.Build, "build", false, "build the images of services with build: even when they are up to date")
	f.BoolVar(&attach, "attach", false, "after up, follow the services' logs until Ctrl-C (the stack keeps running)")
	f.BoolVar(&watch, "watch", false, "after up, sync or rebuild services as their files change (develop.watch) until Ctrl-C")
	f.StringSliceVarP(&services, "service", "s", nil, "bring up these services and their dependencies instead of an environment")
	_ = cmd.RegisterFlagCompletionFunc("service", completeServices(g))
	return cmd
}

func validPull(p string) error {
	switch p {
	case "", "missing", "always", "never":
		return nil
	}
	return usageError{fmt.Errorf("--pull %q: use missing, always or never", p)}
}

func runUp(cmd *cobra.Command, g *globals, o env.UpOptions, attach bool, parallel int) error {
	ctx := cmd.Context()
	p, eng, prog, err := g.openWithProgress(ctx)
	if err != nil {
		return err
	}
	defer eng.Close()
	if !o.DryRun {
		o.Progress = prog
	}
	if o.Puller, o.Pins, err = pullSetup(g, p, eng, parallel, prog); err != nil {
		return err
	}
	if sel, serr := env.Select(p, o.Environment, o.Services); serr == nil {
		for _, n := range env.EngineNotes(p, sel, eng.APIVersion()) {
			fmt.Fprintln(g.stderr, "devenv: warning: "+n)
		}
	}
	plan, err := env.Up(ctx, eng, p, o)
	prog.Close()
	if plan != nil && (o.DryRun || (err == nil && g.jsonOut())) {
		if werr := writePlan(g, plan); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		reportUpError(g.stderr, err)
		return err
	}
	if attach {
		return followLogs(cmd, g, eng, p, env.LogsOptions{Follow: true, Tail: "0"})
	}
	return nil
}

// writePlan prints the plan up made: for people with --dry-run, as JSON
// with -o json (whether it was applied or not).
func writePlan(g *globals, plan *env.Plan) error {
	if g.jsonOut() {
		return writeJSON(g.stdout, newPlanJSON(plan))
	}
	_, err := fmt.Fprint(g.stdout, plan.String())
	return err
}

// reportUpError spells out each culprit with its health output and log tail.
func reportUpError(w io.Writer, err error) {
	var ue *env.UpError
	if !errors.As(err, &ue) {
		return
	}
	for _, f := range ue.Failed {
		fmt.Fprintf(w, "\nservice %s %s\n", f.Service, f.Reason)
		if f.HealthOutput != "" {
			fmt.Fprintf(w, "  last health check output:\n%s\n", indent(f.HealthOutput, "    "))
		}
		if len(f.LogTail) > 0 {
			fmt.Fprintf(w, "  last %d log lines:\n%s\n", len(f.LogTail), indent(strings.Join(f.LogTail, "\n"), "    | "))
		}
	}
	if len(ue.Failed) > 0 {
		fmt.Fprintln(w)
	}
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

func isServiceFailure(err error) bool { return errors.Is(err, env.ErrServiceFailed) }
func isPortConflict(err error) bool   { return errors.Is(err, env.ErrPortConflict) }
