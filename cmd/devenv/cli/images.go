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
		Use:   "pull [SERVICE...]",
		Short: "Pull the services' images (all when none is named) without restarting anything",
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

func newLockCmd(g *globals) *cobra.Command {
	var check bool
	cmd := &cobra.Command{
		Use:   "lock",
		Short: "Pin every image to the digest its tag points to now, in envs.lock",
		Long: `Asks the registries (through the Docker Engine, with your docker credentials) which digest
each image tag points to and writes envs.lock beside envs.yaml. While envs.lock exists,
"devenv up" and "devenv pull" use exactly those digests, so the whole team runs the same
bits. Commit it. With --check, nothing is written: the exit code is 6 when a tag moved.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			p, eng, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer eng.Close()
			current, err := env.ResolveLock(ctx, eng.Client(), p)
			if err != nil {
				return err
			}
			if check {
				return checkLock(g.stdout, p, current)
			}
			if err := current.WriteFile(env.LockPath(p)); err != nil {
				return err
			}
			fmt.Fprintf(g.stderr, "wrote %s: %d images pinned\n", env.LockPath(p), len(current.Images))
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "only check that envs.lock is current; exit 6 if a tag moved")
	return cmd
}

func checkLock(w io.Writer, p *config.Project, current *images.Lock) error {
	old, err := images.ReadLock(env.LockPath(p))
	if err != nil {
		return err
	}
	drift := env.LockDrift(old, current)
	if len(drift) == 0 {
		fmt.Fprintf(w, "%s is current: %d images\n", env.LockPath(p), len(current.Images))
		return nil
	}
	for _, ref := range drift {
		fmt.Fprintf(w, "%s  locked %s  now %s\n", ref, orNone(old.Images[ref].Digest), orNone(current.Images[ref].Digest))
	}
	fmt.Fprintf(w, "%s is out of date; run devenv lock to update it\n", env.LockPath(p))
	return exitCodeError(ExitLockDrift)
}

func orNone(digest string) string {
	if digest == "" {
		return "(none)"
	}
	return digest
}

func newOutdatedCmd(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "outdated",
		Short: "List services whose image tag now points to a different digest than the one they use",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkTableOrJSON(output); err != nil {
				return err
			}
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
			if output == "json" {
				return writeJSON(g.stdout, rows)
			}
			return writeOutdated(g.stdout, rows)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
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
