package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/images"
)

func newLockCmd(g *globals) *cobra.Command {
	var check bool
	cmd := &cobra.Command{
		Use:   "lock",
		Short: "Pin every image to the digest its tag points to now, in envs.lock",
		Long: `Asks the registries (through the Docker Engine, with your docker credentials) which digest
each image tag points to and writes envs.lock beside envs.yaml. While envs.lock exists,
"devenv up" and "devenv pull" use exactly those digests, so the whole team runs the same
bits. Commit it. With --check, nothing is written: the exit code is 6 when a tag moved,
and each image that moved is named with the services that use it.`,
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
				return checkLock(g, p, current)
			}
			return writeLock(g, p, current)
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "only check that envs.lock is current; exit 6 if a tag moved")
	return textOrJSON(cmd)
}

// lockResult is what lock -o json prints.
type lockResult struct {
	File    string    `json:"file"`
	Current bool      `json:"current"` // envs.lock pins what the tags point to now
	Images  []lockRow `json:"images"`  // lock: every image pinned; lock --check: those that moved
}

// lockRow is one image reference of envs.lock and the services using it.
type lockRow struct {
	Image    string   `json:"image"`
	Locked   string   `json:"locked,omitempty"` // the digest envs.lock pins; "" if it pins none
	Now      string   `json:"now,omitempty"`    // the digest the tag points to now; "" if envs.yaml no longer uses it
	Services []string `json:"services,omitempty"`
}

func writeLock(g *globals, p *config.Project, current *images.Lock) error {
	if err := current.WriteFile(env.LockPath(p)); err != nil {
		return err
	}
	fmt.Fprintf(g.stderr, "wrote %s: %d images pinned\n", env.LockPath(p), len(current.Images))
	if !g.jsonOut() {
		return nil
	}
	refs := slices.Sorted(maps.Keys(current.Images))
	return writeJSON(g.stdout, lockResult{File: env.LockPath(p), Current: true, Images: lockRows(p, current, current, refs)})
}

// checkLock compares envs.lock with what the tags point to now; a drift
// exits 6 (ExitLockDrift).
func checkLock(g *globals, p *config.Project, current *images.Lock) error {
	old, err := images.ReadLock(env.LockPath(p))
	if err != nil {
		return err
	}
	rows := lockRows(p, old, current, env.LockDrift(old, current))
	if g.jsonOut() {
		err = writeJSON(g.stdout, lockResult{File: env.LockPath(p), Current: len(rows) == 0, Images: rows})
	} else {
		writeDrift(g.stdout, env.LockPath(p), rows, len(current.Images))
	}
	if err == nil && len(rows) > 0 {
		err = exitCodeError(ExitLockDrift)
	}
	return err
}

func lockRows(p *config.Project, old, current *images.Lock, refs []string) []lockRow {
	rows := []lockRow{}
	for _, ref := range refs {
		rows = append(rows, lockRow{Image: ref, Locked: old.Images[ref].Digest, Now: current.Images[ref].Digest,
			Services: servicesUsing(p, ref)})
	}
	return rows
}

// servicesUsing names the services of p whose image is ref, sorted.
func servicesUsing(p *config.Project, ref string) []string {
	var names []string
	for name, s := range p.Services {
		if s.Image == ref {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

func writeDrift(w io.Writer, file string, rows []lockRow, images int) {
	if len(rows) == 0 {
		fmt.Fprintf(w, "%s is current: %d images\n", file, images)
		return
	}
	for _, r := range rows {
		fmt.Fprintf(w, "%s  locked %s  now %s  %s\n", r.Image, orNone(r.Locked), orNone(r.Now), usedBy(r.Services))
	}
	fmt.Fprintf(w, "%s is out of date; run devenv lock to update it\n", file)
}

// usedBy says which services use an image, so that the reader knows what a
// moved tag changes.
func usedBy(services []string) string {
	if len(services) == 0 {
		return "(no service uses it now)"
	}
	return "(used by " + strings.Join(services, ", ") + ")"
}

func orNone(digest string) string {
	if digest == "" {
		return "(none)"
	}
	return digest
}
