package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/access/accesshub"
	"github.com/devenv-dev/devenv/internal/format"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

func newHubGrantCmd(g *globals, dataDir *string) *cobra.Command {
	cmd := &cobra.Command{Use: "grant", Short: "List and end production access on the hub itself, without an enrolled device",
		Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	list := &cobra.Command{
		Use: "list", Short: "List the pending requests and active grants", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rs, err := accesshub.NewAdminClient(*dataDir).OpenAccess(cmd.Context())
			if err != nil {
				return err
			}
			if g.jsonOut() {
				return writeJSON(g.stdout, rs)
			}
			return writeOpenAccess(g.stdout, rs, time.Now())
		},
	}
	tableOrJSON(list)
	revoke := &cobra.Command{
		Use: "revoke ID",
		ValidArgsFunction: completeFirst(func(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			ctx, cancel := context.WithTimeout(cmd.Context(), hubCompleteTimeout)
			defer cancel()
			rs, _ := accesshub.NewAdminClient(*dataDir).OpenAccess(ctx)
			return requestIDs(rs, time.Now(), pendingOrLive), noFiles
		}),
		Short: "End a grant (the gateway cuts its connections at once) or withdraw a pending request",
		Args:  hubArgs(1, "grant revoke takes one argument: the request ID (devenv hub grant list)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := accesshub.NewAdminClient(*dataDir).RevokeGrant(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			p := r.Printable()
			fmt.Fprintf(g.stderr, "request %s of %s for %s is %s\n", p.ID, p.Requester, p.Target, p.State)
			if g.jsonOut() {
				return writeJSON(g.stdout, r)
			}
			return nil
		},
	}
	cmd.AddCommand(list, textOrJSON(revoke))
	return cmd
}

func writeOpenAccess(w io.Writer, rs []hubapi.Request, now time.Time) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tUSER\tTARGET\tSTATE\tUNTIL\tREASON")
	for _, r := range rs {
		reason := format.OneLine(r.Reason, 40) // whitespace folded, then made printable
		r = r.Printable()
		until := "-"
		if !r.NotAfter.IsZero() {
			until = r.NotAfter.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Requester, r.Target, r.StateAt(now), until, reason)
	}
	return tw.Flush()
}
