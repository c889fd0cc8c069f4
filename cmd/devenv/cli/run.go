package cli

import (
	"context"
	"fmt"
	"io"
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
		o           env.RunOptions
		noTTY       bool
		interactive bool
		entrypoint  string
	)
	cmd := &cobra.Command{
		Use:               "run [--rm] [-e K=V]... [--no-deps] [-d] SERVICE [COMMAND [ARG...]]",
		ValidArgsFunction: completeFirst(completeServices(g)),
		Short:             "Run a one-off container with a service's configuration, after its dependencies",
		Long: `Run a one-off container with the service's image, environment, volumes and networks
(no published ports, no restart policy), named <project>-<service>-run-<id>, after bringing
up the services it depends on (unless --no-deps). It reads devenv's stdin (a pipe too;
-i=false turns that off) and gets a TTY when stdin is a terminal (-T turns that off). devenv exits with the container's exit code. up leaves one-off
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
			o.TTY, o.Stdin = runStdio(g.stdin, o.Detach, noTTY, interactive)
			name, code, err := runOneOff(ctx, eng, p, o)
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
	f.BoolVarP(&interactive, "interactive", "i", true, "keep stdin attached, a terminal or a pipe (-i=false detaches it)")
	return cmd
}

// runStdio is what a one-off gets of stdin, as Compose's run does: stdin
// attached unless detached or not interactive, and a TTY only when stdin
// is a terminal and -T was not given.
func runStdio(stdin io.Reader, detach, noTTY, interactive bool) (tty bool, attach io.Reader) {
	if detach || stdin == nil {
		return false, nil
	}
	f, isFile := stdin.(*os.File)
	tty = !noTTY && isFile && term.IsTerminal(int(f.Fd()))
	if !interactive && !tty {
		return false, nil
	}
	return tty, stdin
}

// runOneOff runs it, with the terminal in raw mode while it is attached.
func runOneOff(ctx context.Context, eng engine.Engine, p *config.Project, o env.RunOptions) (string, int, error) {
	if in, ok := o.Stdin.(*os.File); ok && o.TTY {
		restore, resize, err := rawTerminal(in)
		if err != nil {
			return "", 0, err
		}
		defer restore()
		o.Resize = resize
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
