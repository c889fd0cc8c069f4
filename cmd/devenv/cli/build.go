package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/env"
)

func newBuildCmd(g *globals) *cobra.Command {
	var (
		o    env.BuildOptions
		args []string
	)
	cmd := &cobra.Command{
		Use:               "build [SERVICE...]",
		ValidArgsFunction: completeServices(g),
		Short:             "Build the services' images (all with build: when none is named) without starting anything",
		Long: `Builds the images of the services that have build:, sending each context as a tar
(honouring .dockerignore) to the engine's builder, with the progress of each step.
Nothing is created or started; the next "devenv up" recreates exactly the services
whose image changed. Named services without build: are skipped.`,
		RunE: func(cmd *cobra.Command, services []string) error {
			var err error
			if o.Args, err = parseBuildArgs(args); err != nil {
				return err
			}
			o.Services = services
			ctx := cmd.Context()
			p, eng, prog, err := g.openWithProgress(ctx)
			if err != nil {
				return err
			}
			defer eng.Close()
			o.Progress = prog
			err = env.Build(ctx, eng, p, o)
			prog.Close()
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.NoCache, "no-cache", false, "build every step afresh, without the build cache")
	f.BoolVar(&o.Pull, "pull", false, "always pull the base images")
	f.StringArrayVar(&args, "build-arg", nil, "set a build argument KEY=VALUE (repeatable); a bare KEY takes its value from the environment")
	return cmd
}

// parseBuildArgs reads --build-arg values; a bare KEY is taken from the
// environment, as docker build does, and left out when unset there.
func parseBuildArgs(args []string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range args {
		key, val, ok := strings.Cut(a, "=")
		if key == "" {
			return nil, usageError{fmt.Errorf("--build-arg %q: write KEY=VALUE", a)}
		}
		if !ok {
			if val, ok = os.LookupEnv(key); !ok {
				continue
			}
		}
		out[key] = val
	}
	return out, nil
}
