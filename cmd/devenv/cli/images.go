package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/images"
	"github.com/devenv-dev/devenv/internal/format"
)

// ExitLockDrift is lock --check's answer when a tag moved since envs.lock.
const ExitLockDrift = 6

// pullSetup reads envs.lock and builds the puller that up and pull share.
func pullSetup(g *globals, p *config.Project, eng *engine.Docker, parallel int, prog progress) (env.Puller, map[string]string, error) {
	pins, unpinned, err := env.ReadPins(p)
	if err != nil {
		return nil, nil, err
	}
	if pins != nil && len(unpinned) > 0 {
		fmt.Fprintf(g.stderr, "note: %s does not pin %s; run devenv lock\n", env.LockPath(p), strings.Join(unpinned, ", "))
	}
	puller := env.PullerFunc(func(ctx context.Context, reqs []images.Request) (map[string]images.Result, error) {
		return images.Pull(ctx, eng.Client(), reqs, images.PullOptions{Parallel: parallel, Progress: prog})
	})
	return puller, pins, nil
}

func newPullCmd(g *globals) *cobra.Command {
	var parallel int
	cmd := &cobra.Command{
		Use:               "pull [SERVICE...]",
		ValidArgsFunction: completeServices(g),
		Short:             "Pull the services' images (all when none is named) without restarting anything",
		Long: `Pulls the images (the digests pinned in envs.lock, when it exists) in parallel.
Running containers are not touched; the next "devenv up" recreates exactly the
services whose image changed.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, eng, prog, err := g.openWithProgress(ctx)
			if err != nil {
				return err
			}
			defer eng.Close()
			puller, pins, err := pullSetup(g, p, eng, parallel, prog)
			if err != nil {
				return err
			}
			err = env.Pull(ctx, eng, p, env.PullOptions{Services: args, Puller: puller, Pins: pins, Progress: prog})
			prog.Close()
			return err
		},
	}
	cmd.Flags().IntVar(&parallel, "parallel", images.DefaultParallel, "pull at most this many images at once")
	return cmd
}

func newOutdatedCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "outdated",
		Short: "List services whose image tag now points to a different digest than the one they use",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			p, eng, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer eng.Close()
			rows, err := env.ListOutdated(ctx, eng, eng.Client(), p)
			if err != nil {
				return err
			}
			if g.jsonOut() {
				return writeJSON(g.stdout, rows)
			}
			return writeOutdated(g.stdout, rows)
		},
	}
	tableOrJSON(cmd)
	return cmd
}

func writeOutdated(w io.Writer, rows []env.Outdated) error {
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "every service runs what its tag points to")
		return err
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "SERVICE\tIMAGE\tCURRENT\tLATEST")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Service, r.Image, format.OrDash(format.ShortDigest(r.Current)), format.ShortDigest(r.Latest))
	}
	return tw.Flush()
}
