package vpn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Spawn starts argv (a devenv vpn up --foreground command line) detached
// from the terminal, with its output appended to the log file in dir ("" for
// the default), and waits until the new node answers on its control socket.
// If the process exits first, the error is the last line it logged.
func Spawn(ctx context.Context, dir string, argv []string) (NodeStatus, error) {
	dir, err := resolveDir(dir)
	if err != nil {
		return NodeStatus{}, err
	}
	if _, err := LoadState(dir); err != nil {
		return NodeStatus{}, err
	}
	if s, err := running(ctx, dir); err == nil {
		return s, ErrAlreadyRunning
	}
	logPath := filepath.Join(dir, LogFile)
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return NodeStatus{}, fmt.Errorf("opening the node's log: %w", err)
	}
	defer logf.Close()
	start, _ := logf.Seek(0, 2)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	detach(cmd)
	if err := cmd.Start(); err != nil {
		return NodeStatus{}, fmt.Errorf("starting the vpn node: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	for {
		if s, err := running(ctx, dir); err == nil {
			return s, nil
		}
		select {
		case <-exited:
			return NodeStatus{}, fmt.Errorf("the vpn node stopped: %s (log: %s)", lastLine(logPath, start), logPath)
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			return NodeStatus{}, context.Cause(ctx)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// running is the status of a running node, ErrNotRunning when none is.
func running(ctx context.Context, dir string) (NodeStatus, error) {
	resp, c, err := call(ctx, dir, controlRequest{Op: "status"})
	if err != nil {
		return NodeStatus{}, err
	}
	c.Close()
	if resp.Status == nil {
		return NodeStatus{}, errors.New("the vpn node gave no status")
	}
	return *resp.Status, nil
}

// lastLine is the last non-empty line written to path after offset.
func lastLine(path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil || int64(len(b)) < offset {
		return "no output"
	}
	lines := bytes.Split(bytes.TrimSpace(b[offset:]), []byte("\n"))
	if l := lines[len(lines)-1]; len(l) > 0 {
		return string(l)
	}
	return "no output"
}
