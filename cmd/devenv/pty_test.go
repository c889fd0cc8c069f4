//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"golang.org/x/sys/unix"
)

// silentBound is far above a command's real cost (tens of milliseconds) and
// far below the 5 s a terminal query waits for an answer that never comes,
// so a loaded machine cannot fail the test and a query cannot pass it.
const silentBound = 2500 * time.Millisecond

// TestNoStallOnSilentTerminal runs commands on a pseudo-terminal that never
// answers terminal queries (as script(1), some serial consoles, CI runners
// and multiplexers do). A command that asks the terminal anything, such as
// its background colour, waits there until its query times out.
func TestNoStallOnSilentTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary (run without -short)")
	}
	dir, _ := silentProject(t)
	tests := []struct {
		args []string
		want string // in the output, so that a command that failed at once cannot pass
	}{
		{args: []string{"version"}, want: "devenv"},
		{args: []string{"--help"}, want: "Usage:"},
		{args: []string{"ps"}, want: "web"},
	}
	for _, tt := range tests {
		name := strings.Join(tt.args, " ")
		t.Run(name, func(t *testing.T) {
			took, out, err := runOnSilentPTY(t, dir, nil, tt.args...)
			t.Logf("devenv %s on a silent terminal: %v", name, took.Round(time.Millisecond))
			if err != nil {
				t.Fatalf("devenv %s: %v\n%s", name, err, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("devenv %s printed no %q:\n%s", name, tt.want, out)
			}
			if took > silentBound {
				t.Errorf("devenv %s took %v on a terminal that does not answer (bound %v): it waits for a terminal query",
					name, took, silentBound)
			}
		})
	}
}

// TestUIOnSilentTerminal opens the interactive UI on a terminal that never
// answers: its first frame must not wait for an answer, nor must quitting.
func TestUIOnSilentTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary against the Docker Engine (run without -short)")
	}
	dir, project := silentProject(t)
	p := startOnSilentPTY(t, dir, nil, "tui")
	drawn := p.waitOutput("devenv "+project, 30*time.Second)
	t.Logf("the UI's first frame on a silent terminal: %v", drawn.Round(time.Millisecond))
	if drawn > silentBound {
		t.Errorf("the first frame took %v (bound %v): the UI waits for the terminal", drawn, silentBound)
	}
	p.waitOutput("SERVICE", 30*time.Second) // the engine answered: the table is drawn
	asked := time.Now()
	if _, err := p.master.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	err := p.wait()
	quit := time.Since(asked)
	t.Logf("the UI quit %v after q", quit.Round(time.Millisecond))
	if err != nil {
		t.Fatalf("the UI ended with %v:\n%s", err, ansi.Strip(p.output()))
	}
	if quit > silentBound {
		t.Errorf("quitting took %v (bound %v): the UI waits for the terminal", quit, silentBound)
	}
}

// TestDumbTerminalGetsNoUI: a terminal that cannot move the cursor cannot
// show the UI, so devenv alone prints its help there, and devenv tui says
// what to use instead; neither asks the terminal anything.
func TestDumbTerminalGetsNoUI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary (run without -short)")
	}
	dir, _ := silentProject(t)
	dumb := []string{"TERM=dumb"}
	took, out, err := runOnSilentPTY(t, dir, dumb)
	if err != nil || !strings.Contains(out, "Usage:") || took > silentBound {
		t.Errorf("devenv alone with TERM=dumb: %v after %v, want the help at once:\n%s", err, took, out)
	}
	took, out, err = runOnSilentPTY(t, dir, dumb, "tui")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(out, "TERM=dumb") ||
		!strings.Contains(out, "devenv ps") || took > silentBound {
		t.Errorf("devenv tui with TERM=dumb: %v after %v, want exit 2 naming TERM=dumb and devenv ps:\n%s", err, took, out)
	}
}

// silentProject is a directory with an envs.yaml of one service that is
// never created, under a project name of this test process's own.
func silentProject(t *testing.T) (dir, project string) {
	t.Helper()
	dir = t.TempDir()
	project = fmt.Sprintf("silent-%d", os.Getpid())
	yaml := fmt.Sprintf("name: %s\nservices:\n  web:\n    image: devenv-test/none:1\n", project)
	if err := os.WriteFile(filepath.Join(dir, "envs.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, project
}

// runOnSilentPTY runs the binary to its end on a terminal that never
// answers (see startOnSilentPTY) and returns how long it ran and what it
// wrote.
func runOnSilentPTY(t *testing.T, dir string, env []string, args ...string) (time.Duration, string, error) {
	t.Helper()
	p := startOnSilentPTY(t, dir, env, args...)
	err := p.wait()
	return time.Since(p.start), p.output(), err
}

// ptyProc is the binary running on a pseudo-terminal whose other side only
// reads: it never answers a query.
type ptyProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	master *os.File
	start  time.Time
	read   chan struct{} // closed when the terminal side is closed and all is read
	more   chan struct{} // a token after each read

	mu  sync.Mutex
	out bytes.Buffer // guarded by mu
}

// startOnSilentPTY starts the binary with a new pseudo-terminal as its
// controlling terminal, stdin, stdout and stderr, in the terminal's
// foreground process group (where a program may query it), with TERM set to
// an ordinary terminal's unless env sets it. The process is killed at the
// end of the test if it still runs.
func startOnSilentPTY(t *testing.T, dir string, env []string, args ...string) *ptyProc {
	t.Helper()
	master, slave := openPTY(t)
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(append(envWithout("NO_COLOR", "TERM", "COLORTERM", "TERM_PROGRAM"), "TERM=xterm-256color"), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	p := &ptyProc{t: t, cmd: cmd, master: master, read: make(chan struct{}), more: make(chan struct{}, 1)}
	go p.drain()
	p.start = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close() // the child holds its own copies
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return p
}

func (p *ptyProc) drain() {
	defer close(p.read)
	buf := make([]byte, 4096)
	for {
		n, err := p.master.Read(buf)
		p.mu.Lock()
		p.out.Write(buf[:n])
		p.mu.Unlock()
		select {
		case p.more <- struct{}{}:
		default:
		}
		if err != nil { // EIO once the child's side is closed
			return
		}
	}
}

func (p *ptyProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// wait waits for the process to end and for all it wrote to be read.
func (p *ptyProc) wait() error {
	err := p.cmd.Wait()
	<-p.read
	return err
}

// waitOutput waits until the text the process wrote, without escape codes,
// holds s, and returns how long after the start that was.
func (p *ptyProc) waitOutput(s string, limit time.Duration) time.Duration {
	p.t.Helper()
	timeout := time.NewTimer(limit)
	defer timeout.Stop()
	for {
		if strings.Contains(ansi.Strip(p.output()), s) {
			return time.Since(p.start)
		}
		select {
		case <-p.more:
		case <-p.read:
			p.t.Fatalf("the process closed the terminal before writing %q:\n%s", s, ansi.Strip(p.output()))
		case <-timeout.C:
			p.t.Fatalf("no %q after %v:\n%s", s, limit, ansi.Strip(p.output()))
		}
	}
}

// openPTY opens a new pseudo-terminal pair; both ends close with the test.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlocking the pty: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("naming the pty: %v", err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("opening the pty's terminal side: %v", err)
	}
	t.Cleanup(func() { slave.Close() })
	return master, slave
}

// envWithout is this process's environment less the named variables.
func envWithout(names ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(names, name) {
			env = append(env, kv)
		}
	}
	return env
}
