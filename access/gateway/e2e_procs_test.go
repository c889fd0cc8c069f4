//go:build linux

package gateway_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/devenv-dev/devenv/internal/netnstest"
	"github.com/devenv-dev/devenv/internal/testutil"
)

// --- processes -------------------------------------------------------------

// lockedBuffer is a buffer a running command writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer // guarded by mu
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// proc is a devenv process running in the background inside a host.
type proc struct {
	name           string
	cmd            *exec.Cmd
	stdout, stderr lockedBuffer
	done           chan struct{} // closed when it exited; then err is set
	err            error
}

// start runs devenv args inside h until stopped; the test's end kills it
// and, if the test failed, logs what it wrote.
func (w *world) start(h *netnstest.Host, name string, env []string, args ...string) *proc {
	w.t.Helper()
	p := &proc{name: name, done: make(chan struct{})}
	p.cmd = h.Command(context.Background(), append([]string{devenvBin}, args...)...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		w.t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t := w.t
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("--- %s (%v):\n%s%s", name, p.err, p.stdout.String(), p.stderr.String())
		}
	})
	return p
}

func (p *proc) kill() {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// stop signals p and waits for it to exit, killing it after 10 s.
func (p *proc) stop(sig os.Signal) {
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.kill()
	}
}

// exitCode waits up to limit for p to exit and returns its status; -1
// if it still runs.
func (p *proc) exitCode(limit time.Duration) int {
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(limit):
		return -1
	}
}

// run runs devenv args inside h and returns stdout; the error carries the
// exit status and stderr.
func (w *world) run(h *netnstest.Host, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := h.Command(ctx, append([]string{devenvBin}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("devenv %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// admin runs devenv hub --data DIR args on the hub host.
func (w *world) admin(args ...string) string {
	w.t.Helper()
	out, err := w.run(w.hub, append([]string{"hub", "--data", w.hubDir}, args...)...)
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

// access runs devenv access as the device of state directory dir.
func (w *world) access(h *netnstest.Host, dir string, args ...string) (string, error) {
	return w.run(h, append([]string{"access", "--state-dir", dir}, args...)...)
}

func (w *world) join(h *netnstest.Host, user string) string {
	w.t.Helper()
	inv := strings.TrimSpace(w.admin("invite", "create", "--user", user))
	dir := w.t.TempDir()
	if _, err := w.run(h, "vpn", "--state-dir", dir, "join", inv, "--name", user+"-laptop"); err != nil {
		w.t.Fatal(err)
	}
	return dir
}

func (w *world) startHub() {
	w.t.Helper()
	p := w.start(w.hub, "hub", nil, "hub", "--data", w.hubDir, "serve", "--listen", hubIP+":8443", "--public-url", hubURL,
		"--endpoint", hubIP+":51820", "--interface", w.hubIf, "--webhook", w.hook.url, "--request-window", "2m")
	w.mu.Lock()
	w.hubProc = p
	w.mu.Unlock()
	testutil.EventuallyNoError(w.t, "the hub's admin socket", func() error {
		select {
		case <-p.done:
			w.t.Fatalf("the hub exited: %v\n%s", p.err, p.stderr.String())
		default:
		}
		_, err := w.run(w.hub, "hub", "--data", w.hubDir, "user", "list")
		return err
	})
	testutil.EventuallyNoError(w.t, "the hub's API", func() error {
		c, err := dialIn(w.hub, hubIP+":8443", time.Second)
		if err == nil {
			c.Close()
		}
		return err
	})
}

func (w *world) stopHub(sig os.Signal) {
	w.mu.Lock()
	p := w.hubProc
	w.mu.Unlock()
	p.stop(sig)
}

func (w *world) gatewayConfig(fingerprint, token, grace string) string {
	path := filepath.Join(w.t.TempDir(), "gateway.yaml")
	text := fmt.Sprintf(`hub: {url: %q, fingerprint: %q, token: %q}
wireguard: {listen_port: 51821, endpoint: %q}
network: 100.101.0.0/24
state_dir: %q
grace: %s
targets:
  - name: %s
    protocol: http
    upstream: %q
    credentials: {env: PROD_API_TOKEN}
    max_ttl: 1h
    approver_role: approver
`, hubURL, fingerprint, token, gwEndpoint, w.gwState, grace, target, w.prod.url)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		w.t.Fatal(err)
	}
	return path
}

// startGateway runs devenv gateway serve on config, with the upstream's
// secret in its environment only.
func (w *world) startGateway(config string) {
	w.t.Helper()
	p := w.start(w.gw, "gateway", []string{"PROD_API_TOKEN=" + prodSecret}, "gateway", "--config", config, "serve")
	w.mu.Lock()
	w.gwProc = p
	w.mu.Unlock()
	testutil.EventuallyNoError(w.t, "the gateway up", func() error {
		select {
		case <-p.done:
			w.t.Fatalf("the gateway exited: %v\n%s", p.err, p.stderr.String())
		default:
		}
		if !strings.Contains(p.stderr.String(), "registered with the hub") {
			return errors.New("not registered yet")
		}
		return nil
	})
}

func (w *world) stopGateway() {
	w.mu.Lock()
	p := w.gwProc
	w.mu.Unlock()
	p.stop(syscall.SIGTERM)
}
