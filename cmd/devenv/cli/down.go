package cli

import (
	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/env"
)

func newDownCmd(g *globals) *cobra.Command {
	var o env.DownOptions
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop and remove the project's containers and network (volumes too with -v)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if err := g.checkProjectName(); err != nil {
				return err
			}
			name := g.project
			if name == "" {
				p, err := g.loadProject()
				if err != nil {
					return err
				}
				name = p.Name
			}
			eng, err := connect(ctx)
			if err != nil {
				return err
			}
			defer eng.Close()
			prog, err := g.newProgress()
			if err != nil {
				return err
			}
			o.Progress = prog
			err = env.Down(ctx, eng, name, o)
			prog.Close()
			return err
		},
	}
	cmd.Flags().BoolVarP(&o.Volumes, "volumes", "v", false, "also remove the project's named volumes")
	cmd.Flags().DurationVarP(&o.Timeout, "timeout", "t", 0, "time each container gets to stop before it is killed (default 10s)")
	return cmd
}
