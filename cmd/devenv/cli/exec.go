package cli

import (
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/devenv-dev/devenv/env"
)

func newExecCmd(g *globals) *cobra.Command {
	var (
		o     env.ExecOptions
		noTTY bool
	)
	cmd := &cobra.Command{
		Use:               "exec SERVICE -- COMMAND [ARG...]",
		ValidArgsFunction: completeFirst(completeServices(g)),
		Short:             "Run a command in a service's running container (with a TTY when stdin is one)",
		Args:              cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, eng, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer eng.Close()
			o.Service, o.Cmd = args[0], args[1:]
			o.Stdin, o.Stdout, o.Stderr = g.stdin, g.stdout, g.stderr
			in, isFile := g.stdin.(*os.File)
			o.TTY = !noTTY && isFile && term.IsTerminal(int(in.Fd()))
			if o.TTY {
				restore, resize, err := rawTerminal(in)
				if err != nil {
					return err
				}
				defer restore()
				o.Resize = resize
			}
			code, err := env.Exec(ctx, eng, p, o)
			if err != nil {
				return err
			}
			if code != 0 {
				return exitCodeError(code)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&noTTY, "no-tty", "T", false, "do not allocate a TTY even when stdin is a terminal")
	f.StringVarP(&o.User, "user", "u", "", "run as this user")
	f.StringVarP(&o.WorkingDir, "workdir", "w", "", "working directory inside the container")
	f.StringArrayVarP(&o.Env, "env", "e", nil, "set an environment variable (KEY=VALUE)")
	return cmd
}

// rawTerminal puts the terminal in raw mode and reports its size now and on
// every change. restore undoes both.
func rawTerminal(f *os.File) (restore func(), sizes <-chan [2]uint, err error) {
	fd := int(f.Fd())
	old, err := term.MakeRaw(fd)
	if err != nil {
		return nil, nil, err
	}
	ch := make(chan [2]uint, 1)
	send := func() {
		if w, h, err := term.GetSize(fd); err == nil {
			select {
			case ch <- [2]uint{uint(h), uint(w)}:
			default:
			}
		}
	}
	send()
	stop := watchResize(send)
	return func() { stop(); term.Restore(fd, old) }, ch, nil
}
