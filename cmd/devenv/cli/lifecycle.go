package cli

import (
	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/env"
)

var lifecycleDoc = map[string]string{
	"start":   "Start the services' existing containers",
	"stop":    "Stop the services' containers, keeping them",
	"restart": "Restart the services' containers",
}

func newLifecycleCmd(g *globals, verb string) *cobra.Command {
	var o env.LifecycleOptions
	cmd := &cobra.Command{
		Use:               verb + " [SERVICE...]",
		ValidArgsFunction: completeServices(g),
		Short:             lifecycleDoc[verb] + " (all when none is named)",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, eng, prog, err := g.openWithProgress(ctx)
			if err != nil {
				return err
			}
			defer eng.Close()
			defer prog.Close()
			o.Services, o.Progress = args, prog
			switch verb {
			case "start":
				return env.Start(ctx, eng, p, o)
			case "stop":
				return env.Stop(ctx, eng, p, o)
			default:
				return env.Restart(ctx, eng, p, o)
			}
		},
	}
	if verb != "start" {
		cmd.Flags().DurationVarP(&o.Timeout, "timeout", "t", 0, "time each container gets to stop before it is killed (default 10s)")
	}
	return cmd
}
