package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/env"
)

// newPauseCmd makes pause or unpause.
func newPauseCmd(g *globals, verb string) *cobra.Command {
	short := "Pause the services' running containers"
	if verb == "unpause" {
		short = "Resume the services' paused containers"
	}
	return &cobra.Command{
		Use:               verb + " [SERVICE...]",
		ValidArgsFunction: completeServices(g),
		Short:             short + " (all when none is named)",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, eng, prog, err := g.openWithProgress(ctx)
			if err != nil {
				return err
			}
			defer eng.Close()
			defer prog.Close()
			o := env.LifecycleOptions{Services: args, Progress: prog}
			if verb == "unpause" {
				return env.Unpause(ctx, eng, p, o)
			}
			return env.Pause(ctx, eng, p, o)
		},
	}
}

func newKillCmd(g *globals) *cobra.Command {
	var o env.KillOptions
	cmd := &cobra.Command{
		Use:               "kill [-s SIGNAL] [SERVICE...]",
		ValidArgsFunction: completeServices(g),
		Short:             "Send a signal (default SIGKILL) to the services' running containers (all when none is named)",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, eng, prog, err := g.openWithProgress(ctx)
			if err != nil {
				return err
			}
			defer eng.Close()
			defer prog.Close()
			o.Services, o.Progress = args, prog
			return env.Kill(ctx, eng, p, o)
		},
	}
	cmd.Flags().StringVarP(&o.Signal, "signal", "s", "SIGKILL", "signal to send: a name (SIGTERM, HUP) or a number")
	return cmd
}

func newRmCmd(g *globals) *cobra.Command {
	var (
		o     env.RemoveOptions
		force bool
	)
	cmd := &cobra.Command{
		Use:               "rm [-f] [-s] [-v] [SERVICE...]",
		ValidArgsFunction: completeServices(g),
		Short:             "Remove the services' stopped containers (all when none is named; -s stops running ones first)",
		RunE: func(cmd *cobra.Command, args []string) error {
			ask := isTerminalReader(g.stdin) && isTerminal(g.stderr)
			if !force && !ask {
				return usageError{errors.New("rm asks before removing, and stdin is not a terminal: pass -f to remove without asking")}
			}
			ctx := cmd.Context()
			p, eng, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer eng.Close()
			o.Services = args
			targets, err := env.Removable(ctx, eng, p, o)
			if err != nil {
				return err
			}
			names := make([]string, len(targets))
			for i, c := range targets {
				names[i] = c.Name
			}
			if len(names) == 0 {
				fmt.Fprintln(g.stderr, "No stopped containers")
				return nil
			}
			if !force {
				if ok, err := confirmRemoval(g.stdin, g.stderr, names); err != nil || !ok {
					return err
				}
			}
			// The progress display starts after the question, not over it.
			prog, err := g.newProgress()
			if err != nil {
				return err
			}
			defer prog.Close()
			o.Progress = prog
			return env.Remove(ctx, eng, p, o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&force, "force", "f", false, "do not ask before removing")
	f.BoolVarP(&o.Stop, "stop", "s", false, "stop running containers first, then remove them")
	f.BoolVarP(&o.Volumes, "volumes", "v", false, "remove the containers' anonymous volumes too")
	// -f is --force here, as in docker compose; a local --file takes the
	// global flag's name so that its -f does not clash.
	f.StringArrayVar(&g.files, "file", nil, "configuration file, repeatable (the global -f; -f here is --force)")
	return cmd
}

// confirmRemoval names the containers and asks; only y or yes agrees.
func confirmRemoval(in io.Reader, out io.Writer, names []string) (bool, error) {
	fmt.Fprintf(out, "Going to remove %s\nAre you sure? [y/N] ", strings.Join(names, ", "))
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes", nil
}
