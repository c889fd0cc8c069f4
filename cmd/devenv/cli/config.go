package cli

import (
	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/env/config"
)

func newConfigCmd(g *globals) *cobra.Command {
	var schema bool
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the resolved configuration (interpolated, defaults applied), or its JSON Schema",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if schema {
				_, err := g.stdout.Write(config.Schema())
				return err
			}
			p, err := g.loadProject()
			if err != nil {
				return err
			}
			b, err := p.Format()
			if err != nil {
				return err
			}
			_, err = g.stdout.Write(b)
			return err
		},
	}
	cmd.Flags().BoolVar(&schema, "schema", false, "print the JSON Schema of envs.yaml instead")
	return cmd
}
