package cli

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

func newLogsCmd(g *globals) *cobra.Command {
	var o env.LogsOptions
	var since string
	cmd := &cobra.Command{
		Use:               "logs [SERVICE...]",
		ValidArgsFunction: completeServices(g),
		Short:             "Show the services' logs (-f follows, also across restarts)",
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.Since, err = parseSince(since, time.Now()); err != nil {
				return usageError{err}
			}
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
	f.StringVar(&since, "since", "", "only lines since a time: a duration back (10m, 2h, 1d) or RFC 3339")
	// -f is --follow here, as in docker compose; a local --file takes the
	// global flag's name so that its -f does not clash.
	f.StringArrayVar(&g.files, "file", nil, "configuration file, repeatable (the global -f; -f here is --follow)")
	return outputFlag(cmd, "text", "json")
}

// followLogs prints log lines with a colored "service | " prefix. Ctrl-C ends
// a follow normally.
func followLogs(cmd *cobra.Command, g *globals, eng engine.Engine, p *config.Project, o env.LogsOptions) error {
	out := newLogPrinter(g.stdout, colorEnabled() && isTerminal(g.stdout), p, o.Timestamps).print
	if g.jsonOut() {
		out = jsonLogLine(g.stdout)
	}
	err := env.Logs(cmd.Context(), eng, p, o, out)
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

func newLogPrinter(w io.Writer, color bool, p *config.Project, timestamps bool) *logPrinter {
	width := 0
	for name := range p.Services {
		width = max(width, len(name))
	}
	return &logPrinter{w: w, color: color, width: width, timestamps: timestamps}
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

// logJSON is one line of logs -o json.
type logJSON struct {
	Service   string    `json:"service"`
	Container string    `json:"container"`
	Stream    string    `json:"stream"` // stdout or stderr
	Time      time.Time `json:"time"`
	Text      string    `json:"text"`
}

// jsonLogLine writes each entry as one JSON object on its own line (env.Logs
// never calls it concurrently).
func jsonLogLine(w io.Writer) func(env.LogEntry) {
	enc := json.NewEncoder(w)
	return func(e env.LogEntry) {
		_ = enc.Encode(logJSON{Service: e.Service, Container: e.Container, Stream: e.Stream, Time: e.Time, Text: e.Text})
	}
}
