package gatewaycli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/access/gateway"
	"github.com/devenv-dev/devenv/access/proxy/postgres"
	"github.com/devenv-dev/devenv/internal/format"
)

func newCheckCmd(g *globals) *cobra.Command {
	var offline bool
	var output string
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and the credentials it names, list the targets, and inspect each postgres login",
		Long: `Validates the configuration and the credentials it names and lists the targets. Then it logs in to
each postgres target's upstream and asks the server what the login may do beyond reading: a login that
can write is refused (the gateway would not serve it) unless the target says login_can_write: accept.
--offline skips the logins, for a machine that cannot reach production.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			c, err := loadGatewayConfig(g.config)
			if err != nil {
				return err
			}
			if err := gateway.Check(c); err != nil {
				return usageError{err}
			}
			var checks []gateway.LoginCheck
			if !offline {
				ctx, cancel := context.WithTimeout(cmd.Context(), time.Minute)
				defer cancel()
				checks = gateway.InspectLogins(ctx, c)
			}
			if output == "json" {
				return writeGatewayCheckJSON(g.stdout, g.config, c, checks)
			}
			writeGatewayTargets(g.stdout, c)
			if err := writeLoginChecks(g.stderr, checks); err != nil {
				return err
			}
			fmt.Fprintf(g.stderr, "%s is valid; the gateway keeps its state in %s\n", g.config, c.StateDir)
			return nil
		},
	}
	cmd.Flags().BoolVar(&offline, "offline", false, "do not log in to the postgres targets to inspect their logins")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	return cmd
}

// gatewayCheckJSON is what gateway check -o json prints.
type gatewayCheckJSON struct {
	Config   string              `json:"config"`
	StateDir string              `json:"state_dir"`
	Targets  []gatewayTargetJSON `json:"targets"`
	Logins   []loginCheckJSON    `json:"logins"` // the postgres targets' upstream logins; none with --offline
}

type gatewayTargetJSON struct {
	Name          string `json:"name"`
	Protocol      string `json:"protocol"`
	TunnelAddress string `json:"tunnel_address"`
	Upstream      string `json:"upstream"`
	MaxTTL        string `json:"max_ttl"`
	Approval      string `json:"approval"`
}

type loginCheckJSON struct {
	Target   string   `json:"target"`
	User     string   `json:"user,omitempty"`
	Database string   `json:"database,omitempty"`
	ReadOnly bool     `json:"read_only"`
	Accepted bool     `json:"accepted,omitempty"` // it can write, and the target says login_can_write: accept
	Refused  bool     `json:"refused"`            // it can write: the gateway will not serve the target
	Writes   []string `json:"writes,omitempty"`
	Notes    []string `json:"notes,omitempty"`
	Error    string   `json:"error,omitempty"` // it could not be inspected
}

// writeGatewayCheckJSON prints the check and fails as the text form does.
func writeGatewayCheckJSON(w io.Writer, file string, c *gateway.Config, checks []gateway.LoginCheck) error {
	out := gatewayCheckJSON{Config: file, StateDir: c.StateDir, Targets: []gatewayTargetJSON{}, Logins: []loginCheckJSON{}}
	for i, t := range c.Targets {
		out.Targets = append(out.Targets, gatewayTargetJSON{Name: t.Name, Protocol: t.Protocol, TunnelAddress: c.TargetAddress(i).String(),
			Upstream: t.Upstream, MaxTTL: format.Duration(t.MaxTTL), Approval: approval(t)})
	}
	for _, lc := range checks {
		l := loginCheckJSON{Target: lc.Target, User: lc.Report.User, Database: lc.Report.Database, Accepted: lc.Accepted,
			Refused: lc.Refused(), Writes: lc.Report.Writes, Notes: lc.Report.Notes}
		if lc.Err != nil {
			l.Error = lc.Err.Error()
		} else {
			l.ReadOnly = lc.Report.ReadOnly()
		}
		out.Logins = append(out.Logins, l)
	}
	if err := writeJSON(w, out); err != nil {
		return err
	}
	return loginChecksError(checks)
}

// writeGatewayTargets prints one line per target: where it listens on the
// tunnel, what it reaches and who may approve.
func writeGatewayTargets(w io.Writer, c *gateway.Config) {
	tw := newTable(w)
	fmt.Fprintln(tw, "TARGET\tPROTOCOL\tTUNNEL ADDRESS\tUPSTREAM\tMAX TTL\tAPPROVAL")
	for i, t := range c.Targets {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.Protocol, c.TargetAddress(i), t.Upstream, format.Duration(t.MaxTTL), approval(t))
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
		parts = append(parts, fmt.Sprintf("auto %s ≤%s", a.Role, format.Duration(a.TTL)))
	}
	if b := t.BreakGlass; b != nil {
		parts = append(parts, fmt.Sprintf("break-glass ≤%s", format.Duration(b.TTL)))
	}
	return strings.Join(parts, "; ")
}

// writeLoginChecks says what each postgres target's login may do; it fails
// when a login that can write would be refused, or could not be inspected.
func writeLoginChecks(w io.Writer, checks []gateway.LoginCheck) error {
	for _, c := range checks {
		r := c.Report
		switch {
		case c.Err != nil:
			fmt.Fprintf(w, "%s: cannot inspect the upstream login: %v\n", c.Target, c.Err)
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
		}
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  note: login %s %s\n", r.User, n)
		}
	}
	return loginChecksError(checks)
}

// loginChecksError fails when a login that can write would be refused
// (a usage error: the configuration must change), or could not be
// inspected.
func loginChecksError(checks []gateway.LoginCheck) error {
	var refused, failed []string
	for _, c := range checks {
		switch {
		case c.Err != nil:
			failed = append(failed, c.Target)
		case c.Refused():
			refused = append(refused, c.Target)
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
