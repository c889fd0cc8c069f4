package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/devenv-dev/devenv/internal/imagebuild"
)

// buildDevenv compiles ./cmd/devenv of this checkout into the user cache
// directory. The path is stable, so an unchanged build only relinks when
// needed.
func buildDevenv(ctx context.Context) (string, error) {
	root, err := imagebuild.ModuleRoot(ctx)
	if err != nil {
		return "", err
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "devenv", "quickstart")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating build cache: %w", err)
	}
	out := filepath.Join(dir, "devenv")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/devenv")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building devenv: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// runDevenv runs bin with args and the extra environment, stdio passed
// through, relaying every signal from sigs until it exits. It returns the
// exit code to exit with: the child's, or 128+N if signal N killed it.
//
// The child shares the terminal's process group, so a Ctrl-C reaches it
// twice, from the terminal and relayed; devenv cancels the same context
// for both. Relaying covers a SIGTERM or SIGINT sent to quickstart alone.
func runDevenv(bin string, args, env []string, sigs <-chan os.Signal) (int, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting devenv: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for {
		select {
		case s := <-sigs:
			cmd.Process.Signal(s) // fails only once it has exited
		case err := <-exited:
			return exitCode(err)
		}
	}
}

// exitCode turns cmd.Wait's error into the code to exit with.
func exitCode(err error) (int, error) {
	var ee *exec.ExitError
	if err == nil {
		return 0, nil
	}
	if !errors.As(err, &ee) {
		return 0, fmt.Errorf("waiting for devenv: %w", err)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return ee.ExitCode(), nil
}
