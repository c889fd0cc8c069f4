package cli

import (
	"errors"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/env"
)

func newCpCmd(g *globals) *cobra.Command {
	var archive, follow bool
	var index int
	cmd := &cobra.Command{
		Use:   "cp SERVICE:SRC_PATH DEST_PATH|- | cp SRC_PATH|- SERVICE:DEST_PATH",
		Short: "Copy files or directories between a service's container and the host",
		Long: `Copy a file or directory between a service's container (running or not) and the host.
Onto an existing directory the source goes inside it under its own name; otherwise it
takes the destination's name. Modes and symbolic links are kept.
A host path of - reads a tar stream from stdin (extracted into a directory of the
container) or writes one to stdout.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := parseCopyArgs(args[0], args[1])
			if err != nil {
				return usageError{err}
			}
			o.Archive, o.FollowLink, o.Index = archive, follow, index
			o.Stdin, o.Stdout = cmd.InOrStdin(), cmd.OutOrStdout()
			ctx := cmd.Context()
			p, eng, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer eng.Close()
			return env.Copy(ctx, eng, p, o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&archive, "archive", "a", false, "Keep the uid and gid of what is copied")
	f.BoolVarP(&follow, "follow-link", "L", false, "Copy what a symbolic link at the source leads to")
	f.IntVar(&index, "index", 0, "Index of the service's container, from 1, when it has several")
	return cmd
}

// servicePathRE is SERVICE:PATH; a host path with a colon needs a ./ in front.
var servicePathRE = regexp.MustCompile(`^([a-zA-Z0-9][a-zA-Z0-9_.-]*):(.*)$`)

// parseCopyArgs tells which side is the container's.
func parseCopyArgs(src, dst string) (env.CopyOptions, error) {
	s, d := servicePathRE.FindStringSubmatch(src), servicePathRE.FindStringSubmatch(dst)
	switch {
	case s != nil && d != nil:
		return env.CopyOptions{}, errors.New("cp copies between a container and the host: name a service on one side only")
	case s == nil && d == nil:
		return env.CopyOptions{}, errors.New("cp: name the container's side as SERVICE:PATH (a host path with a colon: write ./ in front)")
	case s != nil:
		return checkCopy(env.CopyOptions{Service: s[1], ContainerPath: s[2], HostPath: dst})
	default:
		return checkCopy(env.CopyOptions{Service: d[1], ContainerPath: d[2], HostPath: src, ToContainer: true})
	}
}

func checkCopy(o env.CopyOptions) (env.CopyOptions, error) {
	if o.ContainerPath == "" || o.HostPath == "" {
		return o, errors.New("cp: both paths must be given")
	}
	return o, nil
}
