package cli

import (
	"fmt"
	"hash/fnv"
	"io"
	"sync"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

func newLogsCmd(g *globals) *cobra.Command {
	var o env.LogsOptions
	cmd := &cobra.Command{
		Use:   "logs [SERVICE...]",
		Short: "Show the services' logs (-f follows, also across restarts)",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, eng, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer eng.Close()
			o.Services = args
			return followLogs(cmd, g, eng, p, o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.Follow, "follow", "f", false, "keep following new output, across restarts and recreation")
	f.StringVarP(&o.Tail, "tail", "n", "all", "lines to show from the end of each log (a number or all)")
	f.BoolVarP(&o.Timestamps, "timestamps", "t", false, "show the engine's timestamp of each line")
	return cmd
}

// followLogs prints log lines with a colored "service | " prefix. Ctrl-C ends
// a follow normally.
func followLogs(cmd *cobra.Command, g *globals, eng engine.Engine, p *config.Project, o env.LogsOptions) error {
	pr := newLogPrinter(g.stdout, colorEnabled() && isTerminal(g.stdout), p)
	pr.timestamps = o.Timestamps
	err := env.Logs(cmd.Context(), eng, p, o, pr.print)
	if o.Follow && cmd.Context().Err() != nil {
		return nil
	}
	return err
}

type logPrinter struct {
	mu         sync.Mutex
	w          io.Writer
	color      bool
	width      int
	timestamps bool
}

func newLogPrinter(w io.Writer, color bool, p *config.Project) *logPrinter {
	width := 0
	for name := range p.Services {
		width = max(width, len(name))
	}
	return &logPrinter{w: w, color: color, width: width}
}

// palette is the set of ANSI colors services' prefixes cycle through.
var palette = []string{"36", "33", "32", "35", "34", "96", "93", "92", "95", "94"}

func (l *logPrinter) print(e env.LogEntry) {
	prefix := fmt.Sprintf("%-*s | ", l.width, e.Service)
	if l.color {
		h := fnv.New32a()
		h.Write([]byte(e.Service))
		prefix = "\x1b[" + palette[h.Sum32()%uint32(len(palette))] + "m" + prefix + "\x1b[0m"
	}
	ts := ""
	if l.timestamps && !e.Time.IsZero() {
		ts = e.Time.Format("2006-01-02T15:04:05.000000000Z07:00") + " "
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s%s%s\n", prefix, ts, e.Text)
}
