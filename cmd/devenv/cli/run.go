package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

func newRunCmd(g *globals) *cobra.Command {
	var (
		o          env.RunOptions
		noTTY      bool
		entrypoint string
	)
	cmd := &cobra.Command{
		Use:               "run [--rm] [-e K=V]... [--no-deps] [-d] SERVICE [COMMAND [ARG...]]",
		ValidArgsFunction: completeFirst(completeServices(g)),
		Short:             "Run a one-off container with a service's configuration, after its dependencies",
		Long: `Run a one-off container with the service's image, environment, volumes and networks
(no published ports, no restart policy), named <project>-<service>-run-<id>, after bringing
up the services it depends on (unless --no-deps). With a terminal on stdin it gets a TTY and
the terminal's input. devenv exits with the container's exit code. up leaves one-off
containers alone; down removes them; --rm removes one as soon as it exits.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Detach && o.Remove {
				return usageError{fmt.Errorf("--rm and -d together: a detached container is not waited for; remove it with devenv rm")}
			}
			ctx := cmd.Context()
			prog, err := g.runProgress()
			if err != nil {
				return err
			}
			defer prog.Close()
			p, eng, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer eng.Close()
			o.Service, o.Cmd, o.Progress = args[0], args[1:], prog
			if cmd.Flags().Changed("entrypoint") {
				o.Entrypoint = strings.Fields(entrypoint)
				if o.Entrypoint == nil {
					o.Entrypoint = []string{}
				}
			}
			o.Stdout, o.Stderr = g.stdout, g.stderr
			in, isFile := g.stdin.(*os.File)
			o.TTY = !o.Detach && !noTTY && isFile && term.IsTerminal(int(in.Fd()))
			name, code, err := runOneOff(ctx, eng, p, in, o)
			if err != nil {
				return err
			}
			if o.Detach {
				fmt.Fprintln(g.stdout, name)
			}
			if code != 0 {
				return exitCodeError(code)
			}
			return nil
		},
	}
	cmd.Flags().SetInterspersed(false) // flags after SERVICE are the command's
	f := cmd.Flags()
	f.BoolVar(&o.Remove, "rm", false, "remove the container once it exits")
	f.StringArrayVarP(&o.Env, "env", "e", nil, "set an environment variable (KEY=VALUE), repeatable")
	f.BoolVar(&o.NoDeps, "no-deps", false, "do not start the services it depends on")
	f.BoolVarP(&o.Detach, "detach", "d", false, "start it in the background and print its name")
	f.StringVar(&o.Name, "name", "", "name the container (default <project>-<service>-run-<id>)")
	f.StringVar(&entrypoint, "entrypoint", "", "replace the image's entrypoint (words split on spaces; \"\" clears it)")
	f.StringVarP(&o.User, "user", "u", "", "run as this user")
	f.StringVarP(&o.WorkingDir, "workdir", "w", "", "working directory inside the container")
	f.BoolVarP(&noTTY, "no-TTY", "T", false, "do not allocate a TTY even when stdin is a terminal")
	return cmd
}

// runOneOff runs it, with the terminal in raw mode while it is attached.
func runOneOff(ctx context.Context, eng engine.Engine, p *config.Project, in *os.File, o env.RunOptions) (string, int, error) {
	if o.TTY {
		restore, resize, err := rawTerminal(in)
		if err != nil {
			return "", 0, err
		}
		defer restore()
		o.Stdin, o.Resize = in, resize
	}
	return env.Run(ctx, eng, p, o)
}

// runProgress is the progress display of run: plain lines rather than a
// redrawn display, which would draw over the container's output.
func (g *globals) runProgress() (progress, error) {
	if g.progress == "auto" || g.progress == "tty" {
		return &plainProgress{w: g.stderr}, nil
	}
	return g.newProgress()
}
