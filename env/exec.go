package env

import (
	"context"
	"fmt"
	"io"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// ExecOptions configures Exec.
type ExecOptions struct {
	Service    string
	Cmd        []string
	TTY        bool
	User       string
	WorkingDir string
	Env        []string
	Stdin      io.Reader
	Stdout     io.Writer
	Stderr     io.Writer
	Resize     <-chan [2]uint // terminal sizes (height, width), when TTY
}

// Exec runs a command in the service's running container and returns its
// exit code.
func Exec(ctx context.Context, eng engine.Engine, p *config.Project, opts ExecOptions) (int, error) {
	cs, err := containersOf(ctx, eng, p, []string{opts.Service})
	if err != nil {
		return 0, err
	}
	var target *engine.Container
	for i := range cs {
		if cs[i].State == "running" && (target == nil || cs[i].Labels[LabelOneOff] == "") { // the service's own before a one-off
			target = &cs[i]
		}
	}
	if target == nil {
		return 0, fmt.Errorf("service %s is not running (state %s); start it with devenv up", opts.Service, cs[0].State)
	}
	return eng.ExecInteractive(ctx, target.ID, engine.ExecOptions{
		Cmd: opts.Cmd, TTY: opts.TTY, Env: opts.Env, User: opts.User, WorkingDir: opts.WorkingDir,
		Stdin: opts.Stdin, Stdout: opts.Stdout, Stderr: opts.Stderr, Resize: opts.Resize,
	})
}
