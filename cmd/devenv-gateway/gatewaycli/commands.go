package gatewaycli

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/access/gateway"
)

// defaultGatewayConfig is where a gateway's configuration usually lives.
const defaultGatewayConfig = "/etc/devenv/gateway.yaml"

func newRoot(g *globals) *cobra.Command {
	n := name()
	root := &cobra.Command{
		Use:   n,
		Short: "Run the production-access gateway: read-only proxies behind time-limited tunnels",
		Long: n + ` runs inside the production network. It registers the
targets of its configuration file with the hub and lets each approved access
grant reach its one target, read-only, through a userspace WireGuard tunnel,
until the grant's deadline. It needs no root.

  ` + n + ` check --config gateway.yaml   # validate, list the targets, inspect the logins
  ` + n + ` serve --config gateway.yaml   # run until interrupted
  ` + n + ` status --config gateway.yaml  # last contact with the hub, saved grants, audit backlog`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.CompletionOptions.HiddenDefaultCmd = true
	root.PersistentFlags().StringVar(&g.config, "config", defaultGatewayConfig, "the gateway's configuration file")
	root.AddCommand(newServeCmd(g), newCheckCmd(g), newStatusCmd(g))
	return root
}

func newServeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Serve the configured targets until interrupted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadGatewayConfig(g.config)
			if err != nil {
				return err
			}
			gw, err := gateway.New(gateway.Options{Config: c, Logger: slog.New(slog.NewTextHandler(g.stderr, nil))})
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stderr, "gateway %s serving %d target(s); WireGuard key %s; state in %s\n",
				c.GatewayAddress(), len(c.Targets), gw.PublicKey(), c.StateDir)
			return gw.Run(cmd.Context())
		},
	}
}

// loadGatewayConfig reads the file; its problems are usage errors.
func loadGatewayConfig(file string) (*gateway.Config, error) {
	c, err := gateway.LoadConfig(file)
	if errors.Is(err, gateway.ErrConfig) {
		return nil, usageError{err}
	}
	return c, err
}
