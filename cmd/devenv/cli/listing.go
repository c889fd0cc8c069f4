package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/internal/format"
)

func newImagesCmd(g *globals) *cobra.Command {
	var quiet bool
	cmd := &cobra.Command{
		Use:               "images [SERVICE...]",
		ValidArgsFunction: completeServices(g),
		Short:             "List the images the services' containers run (all when none is named)",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, eng, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer eng.Close()
			rows, err := env.Images(ctx, eng, p, args)
			if err != nil {
				return err
			}
			switch {
			case quiet:
				return writeImageIDs(g.stdout, rows)
			case g.jsonOut():
				return writeJSON(g.stdout, rows)
			}
			return writeImagesTable(g.stdout, rows)
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the image IDs, each once")
	tableOrJSON(cmd)
	return cmd
}

func writeImagesTable(w io.Writer, rows []env.ImageUse) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "CONTAINER\tREPOSITORY\tTAG\tIMAGE ID\tSIZE")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Container, r.Repository, r.Tag, shortID(r.ID), format.Bytes(r.Size))
	}
	return tw.Flush()
}

func writeImageIDs(w io.Writer, rows []env.ImageUse) error {
	var ids []string
	for _, r := range rows {
		if !slices.Contains(ids, r.ID) {
			ids = append(ids, r.ID)
			if _, err := fmt.Fprintln(w, r.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// shortID is the first 12 hex digits of an image ID, as docker shows it.
func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	return id[:min(len(id), 12)]
}

func newLsCmd(g *globals) *cobra.Command {
	var (
		all, quiet bool
		format     string
		filters    []string
	)
	cmd := &cobra.Command{
		Use:   "ls [-a] [-q] [--filter name=TEXT] [--format table|json]",
		Short: "List the projects that have containers on the engine (those running, or all with -a)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			eng, err := connect(ctx)
			if err != nil {
				return err
			}
			defer eng.Close()
			rows, err := env.Projects(ctx, eng, all)
			if err != nil {
				return err
			}
			if rows, err = env.FilterProjects(rows, filters); err != nil {
				return usageError{err}
			}
			switch {
			case quiet:
				for _, r := range rows {
					fmt.Fprintln(g.stdout, r.Name)
				}
				return nil
			case g.jsonOut() || format == "json":
				return writeJSON(g.stdout, rows)
			}
			return writeLsTable(g.stdout, rows)
		},
	}
	cmd.PreRunE = func(*cobra.Command, []string) error {
		if format != "table" && format != "json" {
			return usageError{fmt.Errorf("--format %q: use table or json", format)}
		}
		return nil
	}
	f := cmd.Flags()
	f.BoolVarP(&all, "all", "a", false, "also list projects whose containers are all stopped")
	f.BoolVarP(&quiet, "quiet", "q", false, "print only the projects' names")
	f.StringArrayVar(&filters, "filter", nil, "keep the projects whose name contains TEXT (name=TEXT), repeatable")
	f.StringVar(&format, "format", "table", "the result's format as Compose names it: table or json (same as -o)")
	tableOrJSON(cmd)
	return cmd
}

func writeLsTable(w io.Writer, rows []env.ProjectSummary) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "NAME\tSTATUS\tSERVICES\tCONFIG FILES")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", r.Name, stateCounts(r.States), r.Services, format.OrDash(strings.Join(r.ConfigFiles, ",")))
	}
	return tw.Flush()
}

// stateCounts writes counts by state as compose ls does: running(2), exited(1),
// running first, then by name.
func stateCounts(states map[string]int) string {
	names := make([]string, 0, len(states))
	for s := range states {
		names = append(names, s)
	}
	slices.SortFunc(names, func(a, b string) int {
		if (a == "running") != (b == "running") {
			if a == "running" {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(names))
	for i, s := range names {
		parts[i] = fmt.Sprintf("%s(%d)", s, states[s])
	}
	return strings.Join(parts, ", ")
}
