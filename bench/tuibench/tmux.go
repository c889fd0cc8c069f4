package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// session is one tmux session on the benchmark's private tmux server.
type session struct {
	socket string // tmux -S: the path of the benchmark's own tmux server
	name   string
}

// startSession runs argv in a new w×h session with env set, the way a
// developer's terminal would run it, with tmux's status line off so that
// the program has the whole window.
func startSession(socket, name, dir string, w, h int, env, argv []string) (*session, error) {
	conf := filepath.Join(dir, "tmux.conf")
	// The server outlives each session (exit-empty off): a session started
	// while the server quits after the last one ended would fail.
	if err := os.WriteFile(conf, []byte("set -g status off\nset -g remain-on-exit on\nset -g exit-empty off\n"), 0o644); err != nil {
		return nil, err
	}
	args := []string{"-S", socket, "-f", conf, "new-session", "-d", "-s", name,
		"-x", strconv.Itoa(w), "-y", strconv.Itoa(h), "--", "env"}
	args = append(append(args, env...), argv...)
	if out, err := exec.Command("tmux", args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("tmux new-session: %v: %s", err, out)
	}
	return &session{socket: socket, name: name}, nil
}

func (s *session) tmux(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "tmux", append([]string{"-S", s.socket}, args...)...).Output()
	if err != nil {
		return "", fmt.Errorf("tmux %s: %w", args[0], err)
	}
	return string(out), nil
}

func (s *session) capture() (string, error) { return s.tmux("capture-pane", "-p", "-t", s.name) }

// pid is the PID of the program in the pane (env execs it).
func (s *session) pid() (int, error) {
	out, err := s.tmux("display-message", "-p", "-t", s.name, "#{pane_pid}")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(out))
}

func (s *session) dead() bool {
	out, err := s.tmux("display-message", "-p", "-t", s.name, "#{pane_dead}")
	return err != nil || strings.TrimSpace(out) == "1"
}

func (s *session) kill() { s.tmux("kill-session", "-t", s.name) }

// killServer ends the tmux server on socket, with every session left.
func killServer(socket string) { exec.Command("tmux", "-S", socket, "kill-server").Run() }
