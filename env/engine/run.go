package engine

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/container"
)

// ContainerRun starts a created container attached to the caller's
// streams, as docker run does, and returns its exit code once it has
// exited. opts.Cmd, Env, User and WorkingDir are the container's own and
// are ignored here; stdin reaches the process only when the container was
// created with StdinOpen (RuntimeSpec), TTY likewise.
func (d *Docker) ContainerRun(ctx context.Context, id string, opts ExecOptions) (int, error) {
	att, err := d.cli.ContainerAttach(ctx, id, container.AttachOptions{
		Stream: true, Stdin: opts.Stdin != nil, Stdout: true, Stderr: true,
	})
	if err != nil {
		return 0, fmt.Errorf("attaching to container %s: %w", id, d.mapErr(err, ErrNotFound))
	}
	defer att.Close()
	stop := context.AfterFunc(ctx, att.Close)
	defer stop()
	waitC, waitErr := d.cli.ContainerWait(ctx, id, container.WaitConditionNextExit)
	if err := d.ContainerStart(ctx, id); err != nil {
		return 0, err
	}
	done := make(chan struct{})
	defer close(done)
	if opts.Resize != nil {
		go forwardResizes(opts.Resize, done, func(o container.ResizeOptions) { _ = d.cli.ContainerResize(ctx, id, o) })
	}
	if opts.Stdin != nil {
		go copyStdin(att, opts.Stdin)
	}
	if err := copyOutput(att.Reader, opts); err != nil && ctx.Err() == nil {
		return 0, fmt.Errorf("container %s: copying output: %w", id, err)
	}
	select {
	case res := <-waitC:
		if res.Error != nil {
			return 0, fmt.Errorf("waiting for container %s: %s", id, res.Error.Message)
		}
		return int(res.StatusCode), nil
	case err := <-waitErr:
		return 0, fmt.Errorf("waiting for container %s: %w", id, d.mapErr(err, ErrNotFound))
	}
}
