package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/env"
)

func newEventsCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:               "events [SERVICE...]",
		ValidArgsFunction: completeServices(g),
		Short:             "Print the project's container events as they happen, until Ctrl-C (--json: one object a line)",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, eng, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer eng.Close()
			out := eventPrinter(g.stdout, asJSON)
			err = env.Events(ctx, eng, p, env.EventsOptions{Services: args}, out)
			if ctx.Err() != nil {
				return nil // Ctrl-C ends a follow normally
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "write each event as a JSON object on its own line")
	return cmd
}

// eventPrinter writes each event as a line of text or of JSON.
func eventPrinter(w io.Writer, asJSON bool) func(env.ContainerEvent) {
	if asJSON {
		enc := json.NewEncoder(w)
		return func(ev env.ContainerEvent) { _ = enc.Encode(ev) }
	}
	return func(ev env.ContainerEvent) { fmt.Fprintln(w, eventLine(ev)) }
}

// eventLine is an event as text: time, type, action, container ID and the
// attributes in parentheses.
func eventLine(ev env.ContainerEvent) string {
	attrs := []string{"service=" + ev.Service}
	if ev.Health != "" {
		attrs = append(attrs, "health="+ev.Health)
	}
	if ev.ExitCode != nil {
		attrs = append(attrs, "exitCode="+strconv.Itoa(*ev.ExitCode))
	}
	return fmt.Sprintf("%s %s %s %s (%s)", ev.Time.UTC().Format(time.RFC3339Nano), ev.Type, ev.Action, ev.ID, strings.Join(attrs, ", "))
}
