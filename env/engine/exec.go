package engine

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
)

// MaxExecOutput is how much of a command's output ContainerExec keeps: the
// last MaxExecOutput bytes, stdout and stderr interleaved.
const MaxExecOutput = 4 << 10

// ContainerExec runs cmd in a running container and returns its exit code
// and the tail of its combined output. When ctx ends, ContainerExec returns
// at once with ctx's error; the command itself is not killed (the engine
// cannot signal an exec).
func (d *Docker) ContainerExec(ctx context.Context, id string, cmd []string) (int, string, error) {
	att, execID, err := d.startExec(ctx, id, container.ExecOptions{
		Cmd: cmd, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return 0, "", fmt.Errorf("exec %q in container %s: %w", cmd, id, err)
	}
	defer att.Close()
	stop := context.AfterFunc(ctx, att.Close)
	defer stop()

	out := &tailBuffer{max: MaxExecOutput}
	_, err = stdcopy.StdCopy(out, out, att.Reader)
	if ctx.Err() != nil {
		return 0, out.String(), fmt.Errorf("exec %q in container %s: %w", cmd, id, context.Cause(ctx))
	}
	if err != nil {
		return 0, out.String(), fmt.Errorf("exec %q in container %s: reading output: %w", cmd, id, err)
	}
	code, err := d.execExitCode(ctx, execID)
	if err != nil {
		return 0, out.String(), fmt.Errorf("exec %q in container %s: %w", cmd, id, err)
	}
	return code, out.String(), nil
}

// ExecInteractive runs opts.Cmd attached to the caller's streams and returns
// its exit code once its output has ended. Without a TTY, stdout and stderr
// are kept apart. Sizes received on opts.Resize are applied until the
// command ends. Stdin is copied by a goroutine that ends when Stdin returns
// (EOF or an error) or the connection is gone; a Stdin that blocks forever,
// like a terminal, keeps it until its next read returns.
func (d *Docker) ExecInteractive(ctx context.Context, id string, opts ExecOptions) (int, error) {
	att, execID, err := d.startExec(ctx, id, container.ExecOptions{
		Cmd: opts.Cmd, Tty: opts.TTY, Env: opts.Env, User: opts.User, WorkingDir: opts.WorkingDir, Privileged: opts.Privileged,
		AttachStdin: opts.Stdin != nil, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return 0, fmt.Errorf("exec %q in container %s: %w", opts.Cmd, id, err)
	}
	defer att.Close()
	stop := context.AfterFunc(ctx, att.Close)
	defer stop()

	done := make(chan struct{})
	defer close(done)
	if opts.Resize != nil {
		go forwardResizes(opts.Resize, done, func(o container.ResizeOptions) { _ = d.cli.ContainerExecResize(ctx, execID, o) })
	}
	if opts.Stdin != nil {
		go copyStdin(att, opts.Stdin)
	}
	if err := copyOutput(att.Reader, opts); err != nil && ctx.Err() == nil {
		return 0, fmt.Errorf("exec %q in container %s: copying output: %w", opts.Cmd, id, err)
	}
	if ctx.Err() != nil {
		return 0, fmt.Errorf("exec %q in container %s: %w", opts.Cmd, id, context.Cause(ctx))
	}
	code, err := d.execExitCode(ctx, execID)
	if err != nil {
		return 0, fmt.Errorf("exec %q in container %s: %w", opts.Cmd, id, err)
	}
	return code, nil
}

// startExec creates an exec and attaches to it, which starts it.
func (d *Docker) startExec(ctx context.Context, id string, opts container.ExecOptions) (types.HijackedResponse, string, error) {
	created, err := d.cli.ContainerExecCreate(ctx, id, opts)
	if err != nil {
		return types.HijackedResponse{}, "", d.mapErr(err, ErrNotFound)
	}
	att, err := d.cli.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{Tty: opts.Tty})
	if err != nil {
		return types.HijackedResponse{}, "", d.mapErr(err, ErrNotFound)
	}
	return att, created.ID, nil
}

// execExitCode waits for the engine to record the end of an exec whose
// output has ended, and returns its exit code.
func (d *Docker) execExitCode(ctx context.Context, execID string) (int, error) {
	wait := 5 * time.Millisecond
	for {
		resp, err := d.cli.ContainerExecInspect(ctx, execID)
		if err != nil {
			return 0, d.mapErr(err, ErrNotFound)
		}
		if !resp.Running {
			return resp.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		case <-time.After(wait):
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// forwardResizes passes terminal sizes (height, width) to resize until
// done or sizes closes. A failed resize leaves the terminal at its old
// size; not worth failing the session for, so resize reports nothing.
func forwardResizes(sizes <-chan [2]uint, done <-chan struct{}, resize func(container.ResizeOptions)) {
	for {
		select {
		case <-done:
			return
		case size, ok := <-sizes:
			if !ok {
				return
			}
			resize(container.ResizeOptions{Height: size[0], Width: size[1]})
		}
	}
}

// copyStdin copies the caller's input and then half-closes the connection so
// the command sees end of input.
func copyStdin(att types.HijackedResponse, stdin io.Reader) {
	if _, err := io.Copy(att.Conn, stdin); err != nil {
		return
	}
	_ = att.CloseWrite()
}

// copyOutput copies the exec's output to the caller's writers: raw with a
// TTY, demultiplexed without.
func copyOutput(r io.Reader, opts ExecOptions) error {
	stdout, stderr := opts.Stdout, opts.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	var err error
	if opts.TTY {
		_, err = io.Copy(stdout, r)
	} else {
		_, err = stdcopy.StdCopy(stdout, stderr, r)
	}
	return err
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= b.max {
		b.buf = append(b.buf[:0], p[len(p)-b.max:]...)
		return n, nil
	}
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return n, nil
}

func (b *tailBuffer) String() string { return string(b.buf) }
