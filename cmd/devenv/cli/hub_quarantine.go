package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/access/accesshub"
	"github.com/devenv-dev/devenv/internal/format"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

func newHubQuarantineCmd(g *globals, dataDir *string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "quarantine",
		Short: "List the gateway audit records the hub kept outside the chain: it could not attribute them",
		Long: `A gateway's audit record goes to the quarantine instead of the chain when the hub cannot
attribute it to one of that gateway's targets and granted requests: a request the hub does not
know (the hub was restored from a backup, or the gateway was registered with another hub), an
action only the hub records, another gateway's target. The records are kept as received, with
the hub's receive time and the reason, for an operator to judge.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := accesshub.LoadQuarantine(cmd.Context(), *dataDir)
			if err != nil {
				return err
			}
			if g.jsonOut() {
				return writeJSON(g.stdout, q)
			}
			if len(q) == 0 {
				fmt.Fprintln(g.stderr, "the quarantine is empty")
				return nil
			}
			return writeQuarantine(g.stdout, q)
		},
	}
	tableOrJSON(cmd)
	return cmd
}

func writeQuarantine(w io.Writer, q []accesshub.QuarantinedRecord) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "RECEIVED\tGATEWAY\tTIME\tACTION\tTARGET\tREQUEST\tREASON")
	for _, e := range q {
		r := e.Record.Printable()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ReceivedAt.Local().Format(time.DateTime),
			hubapi.Printable(e.Gateway), r.Time.Local().Format(time.DateTime), format.OrDash(r.Action), format.OrDash(r.Target),
			format.OrDash(r.RequestID), format.OneLine(e.Reason, 80))
	}
	return tw.Flush()
}
