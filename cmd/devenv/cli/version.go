package cli

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

func newVersionCmd(g *globals) *cobra.Command {
	var short bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print devenv's version, the commit it was built from and the Go toolchain",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			bi, _ := debug.ReadBuildInfo()
			v := readVersion(bi)
			if short {
				fmt.Fprintln(g.stdout, v.Version)
				return nil
			}
			fmt.Fprint(g.stdout, v.String())
			return nil
		},
	}
	cmd.Flags().BoolVar(&short, "short", false, "print only the version")
	return cmd
}

// buildVersion is what a binary knows about its own build.
type buildVersion struct {
	Version  string // the module version, "(devel)" for a build from a work tree
	Commit   string // "" when the build did not record one
	Modified bool   // the work tree had uncommitted changes
	Go       string
	Platform string // GOOS/GOARCH
}

// readVersion reads the build's record; nil (a binary built without module
// support) gives "unknown".
func readVersion(bi *debug.BuildInfo) buildVersion {
	v := buildVersion{Version: "unknown"}
	if bi == nil {
		return v
	}
	v.Go = bi.GoVersion
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	var goos, goarch string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	if goos != "" {
		v.Platform = goos + "/" + goarch
	}
	return v
}

func (v buildVersion) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "devenv %s\n", v.Version)
	if v.Commit != "" {
		commit := v.Commit[:min(12, len(v.Commit))]
		if v.Modified {
			commit += " (with uncommitted changes)"
		}
		fmt.Fprintf(&b, "commit  %s\n", commit)
	}
	if v.Go != "" {
		fmt.Fprintf(&b, "go      %s %s\n", v.Go, v.Platform)
	}
	return b.String()
}
