package cli

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// A release build may set these with -ldflags "-X …/cli.version=v1.2.3
// -X …/cli.commit=… -X …/cli.buildDate=…": a build from a source archive
// has no VCS information for debug.ReadBuildInfo to report. What they set
// wins over the build information.
var (
	version   string
	commit    string
	buildDate string
)

func newVersionCmd(g *globals) *cobra.Command {
	var short bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print devenv's version, the commit and date it was built from and the Go toolchain",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			v := currentVersion()
			switch {
			case g.jsonOut():
				return writeJSON(g.stdout, v)
			case short:
				fmt.Fprintln(g.stdout, v.Version)
				return nil
			}
			fmt.Fprint(g.stdout, v.String())
			return nil
		},
	}
	cmd.Flags().BoolVar(&short, "short", false, "print only the version")
	return textOrJSON(cmd)
}

// buildVersion is what a binary knows about its own build.
type buildVersion struct {
	Version  string `json:"version"`  // the module version, "(devel)" for a build from a work tree
	Commit   string `json:"commit"`   // the VCS revision
	Date     string `json:"date"`     // the commit's time (vcs.time), or the build's when -ldflags set it
	Modified bool   `json:"modified"` // the work tree had uncommitted changes
	Go       string `json:"go"`
	Platform string `json:"platform"` // GOOS/GOARCH
}

// unknown stands for what the build did not record.
const unknown = "unknown"

// currentVersion is this binary's build, -ldflags first.
func currentVersion() buildVersion {
	bi, _ := debug.ReadBuildInfo()
	return readVersion(bi, buildVersion{Version: version, Commit: commit, Date: buildDate})
}

// readVersion reads the build's record (nil: a binary built without module
// support); the non-empty fields of set win over it, and what neither
// says is "unknown".
func readVersion(bi *debug.BuildInfo, set buildVersion) buildVersion {
	var v buildVersion
	if bi != nil {
		v = fromBuildInfo(bi)
	}
	v.Version = first(set.Version, v.Version, unknown)
	v.Commit = first(set.Commit, v.Commit, unknown)
	v.Date = first(set.Date, v.Date, unknown)
	v.Go = first(v.Go, unknown)
	v.Platform = first(v.Platform, unknown)
	return v
}

func fromBuildInfo(bi *debug.BuildInfo) buildVersion {
	v := buildVersion{Version: bi.Main.Version, Go: bi.GoVersion}
	var goos, goarch string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.Date = s.Value
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

// first is the first non-empty of ss.
func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func (v buildVersion) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "devenv %s\n", v.Version)
	c := v.Commit
	if c != unknown {
		c = c[:min(12, len(c))]
	}
	if v.Modified {
		c += " (with uncommitted changes)"
	}
	fmt.Fprintf(&b, "commit  %s\n", c)
	fmt.Fprintf(&b, "built   %s\n", v.Date)
	fmt.Fprintf(&b, "go      %s %s\n", v.Go, v.Platform)
	return b.String()
}
