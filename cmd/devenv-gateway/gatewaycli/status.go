package gatewaycli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/access/gateway"
	"github.com/devenv-dev/devenv/internal/format"
)

func newStatusCmd(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the gateway's last contact with the hub, its saved grants and the audit records waiting for the hub",
		Long: `Reads the gateway's state directory (state_dir in its configuration), so it works whether
the gateway runs or not. An audit backlog that grows, or whose oldest record keeps aging, means
the hub is not taking the gateway's records: see the gateway's log.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			c, err := loadGatewayConfig(g.config)
			if err != nil {
				return err
			}
			st, err := gateway.ReadStatus(c)
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(g.stdout, st)
			}
			writeGatewayStatus(g.stdout, st, time.Now())
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	return cmd
}

func writeGatewayStatus(w io.Writer, st gateway.Status, now time.Time) {
	contact := format.Ago(st.LastContact, now)
	if !st.LastContact.IsZero() {
		contact = fmt.Sprintf("%s (%s)", st.LastContact.Local().Format(time.DateTime), contact)
		if now.Sub(st.LastContact) > st.Grace {
			contact += fmt.Sprintf("; longer than the grace of %s: saved grants wait for the hub", format.Duration(st.Grace))
		}
	}
	fmt.Fprintf(w, "state directory:   %s\n", st.StateDir)
	fmt.Fprintf(w, "last hub contact:  %s\n", contact)
	fmt.Fprintf(w, "saved grants:      %d\n", len(st.Grants))
	b := st.Backlog
	backlog := "none"
	if b.Records > 0 {
		backlog = fmt.Sprintf("%d records, %s", b.Records, format.Bytes(b.Bytes))
		if !b.Oldest.IsZero() {
			backlog += fmt.Sprintf(", oldest from %s (%s)", b.Oldest.Local().Format(time.DateTime), format.Ago(b.Oldest, now))
		}
	}
	fmt.Fprintf(w, "audit backlog:     %s\n", backlog)
}
