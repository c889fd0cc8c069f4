package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

func newWatchCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:               "watch [SERVICE...]",
		ValidArgsFunction: completeServices(g),
		Short:             "Sync, restart or rebuild services as their files change (develop.watch), until Ctrl-C",
		Long: `Watches the paths of the services' develop.watch rules (every service that has them when
none is named) and, once changes have been quiet for a moment, acts on them: sync copies
the changed files into the running container, sync+restart then restarts it, sync+exec then
runs a command in it, and rebuild rebuilds the image and recreates just that service.
One line per action goes to stderr (-o json: one JSON object per line on stdout).
The services must be running; "devenv up --watch" starts them first.`,
		RunE: func(cmd *cobra.Command, services []string) error {
			p, err := g.loadProject()
			if err != nil {
				return err
			}
			if _, err := env.WatchServices(p, services); err != nil {
				return err
			}
			eng, err := connect(cmd.Context())
			if err != nil {
				return err
			}
			defer eng.Close()
			return runWatch(cmd, g, eng, p, services)
		},
	}
}

// runWatch watches until the command's context ends (Ctrl-C).
func runWatch(cmd *cobra.Command, g *globals, eng engine.Engine, p *config.Project, services []string) error {
	names, err := env.WatchServices(p, services)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stderr, "watching %s; press Ctrl-C to stop\n", strings.Join(names, ", "))
	err = env.Watch(cmd.Context(), eng, p, env.WatchOptions{
		Services: services,
		OnAction: actionPrinter(g),
		// A rebuild recreates the service and returns once it is started,
		// as a watch loop should not hang on a health check.
		Up: env.UpOptions{NoWait: true, Timeout: 5 * time.Minute},
	})
	if err == nil && cmd.Context().Err() != nil {
		fmt.Fprintln(g.stderr, "stopped watching")
	}
	return err
}

// actionPrinter prints one line per action: text on stderr, or a JSON
// object on stdout with -o json.
func actionPrinter(g *globals) func(env.WatchAction) {
	var mu sync.Mutex
	return func(a env.WatchAction) {
		mu.Lock()
		defer mu.Unlock()
		if g.jsonOut() {
			writeActionJSON(g.stdout, a)
			return
		}
		fmt.Fprintln(g.stderr, a.String())
	}
}

func writeActionJSON(w io.Writer, a env.WatchAction) {
	v := struct {
		Time    string `json:"time"`
		Service string `json:"service"`
		Action  string `json:"action"`
		Target  string `json:"target,omitempty"`
		Files   int    `json:"files,omitempty"`
		Error   string `json:"error,omitempty"`
	}{a.Time.UTC().Format("2006-01-02T15:04:05.000Z07:00"), a.Service, a.Action, a.Target, a.Files, ""}
	if a.Err != nil {
		v.Error = a.Err.Error()
	}
	_ = json.NewEncoder(w).Encode(v)
}

// watchAfterUp is up --watch: it watches the services up brought up that
// have develop.watch.
func watchAfterUp(cmd *cobra.Command, g *globals, o env.UpOptions) error {
	ctx := cmd.Context()
	p, eng, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer eng.Close()
	selected, err := env.Select(p, o.Environment, o.Services)
	if err != nil {
		return err
	}
	services := withDevelopWatch(p, selected)
	if len(services) == 0 {
		return fmt.Errorf("--watch: none of the services brought up (%s) has develop.watch; add develop: watch: to the ones whose files you edit", strings.Join(selected, ", "))
	}
	return runWatch(cmd, g, eng, p, services)
}

// withDevelopWatch keeps the names of services that have watch rules.
func withDevelopWatch(p *config.Project, names []string) []string {
	var out []string
	for _, n := range names {
		if s := p.Services[n]; s != nil && s.Develop != nil && len(s.Develop.Watch) > 0 {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}
