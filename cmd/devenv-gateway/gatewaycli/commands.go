package gatewaycli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/access/gateway"
	"github.com/devenv-dev/devenv/access/proxy/postgres"
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

func newCheckCmd(g *globals) *cobra.Command {
	var offline bool
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and the credentials it names, list the targets, and inspect each postgres login",
		Long: `Validates the configuration and the credentials it names and lists the targets. Then it logs in to
each postgres target's upstream and asks the server what the login may do beyond reading: a login that
can write is refused (the gateway would not serve it) unless the target says login_can_write: accept.
--offline skips the logins, for a machine that cannot reach production.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadGatewayConfig(g.config)
			if err != nil {
				return err
			}
			if err := gateway.Check(c); err != nil {
				return usageError{err}
			}
			writeGatewayTargets(g.stdout, c)
			if !offline {
				ctx, cancel := context.WithTimeout(cmd.Context(), time.Minute)
				defer cancel()
				if err := writeLoginChecks(g.stderr, gateway.InspectLogins(ctx, c)); err != nil {
					return err
				}
			}
			fmt.Fprintf(g.stderr, "%s is valid; the gateway keeps its state in %s\n", g.config, c.StateDir)
			return nil
		},
	}
	check.Flags().BoolVar(&offline, "offline", false, "do not log in to the postgres targets to inspect their logins")
	return check
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

// writeLoginChecks says what each postgres target's login may do; it fails
// when a login that can write would be refused, or could not be inspected.
func writeLoginChecks(w io.Writer, checks []gateway.LoginCheck) error {
	var refused, failed []string
	for _, c := range checks {
		r := c.Report
		switch {
		case c.Err != nil:
			fmt.Fprintf(w, "%s: cannot inspect the upstream login: %v\n", c.Target, c.Err)
			failed = append(failed, c.Target)
		case r.ReadOnly():
			fmt.Fprintf(w, "%s: login %s on database %s can only read\n", c.Target, r.User, r.Database)
		case c.Accepted:
			fmt.Fprintf(w, "%s: login %s on database %s can write; served anyway (login_can_write: accept):\n", c.Target, r.User, r.Database)
			writeList(w, r.Writes)
		default:
			fmt.Fprintf(w, "%s: login %s on database %s can write, so the gateway will not serve this target:\n", c.Target, r.User, r.Database)
			writeList(w, r.Writes)
			fmt.Fprintf(w, "  Give the gateway a read-only login instead, e.g.:\n\n%s\n  or set login_can_write: accept on the target.\n",
				indent(postgres.ReadOnlyRoleSQL("devenv_readonly", r.Database), "    "))
			refused = append(refused, c.Target)
		}
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  note: login %s %s\n", r.User, n)
		}
	}
	switch {
	case len(refused) > 0:
		return usageError{fmt.Errorf("%s: the upstream login can write (see above)", strings.Join(refused, ", "))}
	case len(failed) > 0:
		return fmt.Errorf("%s: the upstream login could not be inspected (see above)", strings.Join(failed, ", "))
	}
	return nil
}

func writeList(w io.Writer, items []string) {
	for _, s := range items {
		fmt.Fprintf(w, "  - %s\n", s)
	}
}
