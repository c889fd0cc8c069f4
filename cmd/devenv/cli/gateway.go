package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/vpn/gateway"
)

// defaultGatewayConfig is where a gateway's configuration usually lives.
const defaultGatewayConfig = "/etc/devenv/gateway.yaml"

func newGatewayCmd(g *globals) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "gateway",
		Short: "Run the production-access gateway: read-only proxies behind time-limited tunnels",
		Long: `devenv gateway serve runs inside the production network. It registers the
targets of its configuration file with the hub and lets each approved access
grant reach its one target, read-only, through a userspace WireGuard tunnel,
until the grant's deadline. It needs no root.

  devenv gateway check --config gateway.yaml   # validate, list the targets
  devenv gateway serve --config gateway.yaml   # run until interrupted`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().StringVar(&file, "config", defaultGatewayConfig, "the gateway's configuration file")
	serve := &cobra.Command{
		Use:   "serve",
		Short: "Serve the configured targets until interrupted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadGatewayConfig(file)
			if err != nil {
				return err
			}
			gw, err := gateway.New(gateway.Options{Config: c, Logger: slog.New(slog.NewTextHandler(g.stderr, nil))})
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stderr, "gateway %s serving %d target(s); WireGuard key %s\n",
				c.GatewayAddress(), len(c.Targets), gw.PublicKey())
			return gw.Run(cmd.Context())
		},
	}
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and the credentials it names, and list the targets",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			c, err := loadGatewayConfig(file)
			if err != nil {
				return err
			}
			if err := gateway.Check(c); err != nil {
				return usageError{err}
			}
			writeGatewayTargets(g.stdout, c)
			fmt.Fprintf(g.stderr, "%s is valid\n", file)
			return nil
		},
	}
	cmd.AddCommand(serve, check)
	return cmd
}

// loadGatewayConfig reads the file; its problems are usage errors.
func loadGatewayConfig(file string) (*gateway.Config, error) {
	c, err := gateway.LoadConfig(file)
	if errors.Is(err, gateway.ErrConfig) {
		return nil, usageError{err}
	}
	return c, err
}

// writeGatewayTargets prints one line per target: where it listens on the
// tunnel, what it reaches and who may approve.
func writeGatewayTargets(w io.Writer, c *gateway.Config) {
	tw := newTable(w)
	fmt.Fprintln(tw, "TARGET\tPROTOCOL\tTUNNEL ADDRESS\tUPSTREAM\tMAX TTL\tAPPROVAL")
	for i, t := range c.Targets {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.Protocol, c.TargetAddress(i), t.Upstream, t.MaxTTL, approval(t))
	}
	tw.Flush()
}

func approval(t gateway.TargetConfig) string {
	var parts []string
	if len(t.Approvers) > 0 {
		parts = append(parts, strings.Join(t.Approvers, ","))
	}
	if t.ApproverRole != "" {
		parts = append(parts, "role "+t.ApproverRole)
	}
	if a := t.AutoApprove; a != nil {
		parts = append(parts, fmt.Sprintf("auto %s ≤%s", a.Role, a.TTL))
	}
	if b := t.BreakGlass; b != nil {
		parts = append(parts, fmt.Sprintf("break-glass ≤%s", b.TTL))
	}
	return strings.Join(parts, "; ")
}
