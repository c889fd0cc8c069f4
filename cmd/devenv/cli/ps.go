package cli

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/internal/format"
)

func newPsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ps",
		Short: "List the project's services: state, health, ports, image, uptime",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			p, eng, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer eng.Close()
			rows, err := env.Ps(ctx, eng, p)
			if err != nil {
				return err
			}
			if g.jsonOut() {
				return writeJSON(g.stdout, rows)
			}
			return writePsTable(g.stdout, rows, time.Now())
		},
	}
	tableOrJSON(cmd)
	return cmd
}

func writePsTable(w io.Writer, rows []env.ServiceStatus, now time.Time) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "SERVICE\tSTATE\tHEALTH\tPORTS\tIMAGE\tUPTIME")
	for _, r := range rows {
		state := r.State
		if r.State == "exited" {
			state = fmt.Sprintf("exited (%d)", r.ExitCode)
		}
		if r.Orphan {
			state += " (orphan)"
		}
		img := r.Image
		if r.ImageID != "" {
			img += " (" + r.ImageID + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Service, state, format.OrDash(r.Health), format.OrDash(format.Ports(r.Ports)), img, uptime(r, now))
	}
	return tw.Flush()
}

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

func uptime(r env.ServiceStatus, now time.Time) string {
	if r.State != "running" || r.StartedAt.IsZero() {
		return "-"
	}
	return format.Age(now.Sub(r.StartedAt))
}
