package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/access"
	"github.com/devenv-dev/devenv/internal/clock"
	"github.com/devenv-dev/devenv/internal/format"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// connectClock keeps connect's grant deadlines; nil is the real clock.
// Tests set a fake one to reach a deadline when they say.
var connectClock clock.Clock

func newAccessConnectCmd(g *globals, f *accessFlags) *cobra.Command {
	var port int
	cmd := textOrJSON(&cobra.Command{
		Use:               "connect TARGET|ID [--port N]",
		ValidArgsFunction: completeConnect(f),
		Short:             "Open a tunnel to a granted target on 127.0.0.1 until the grant ends (no root needed)",
		Long: `connect finds your active grant for TARGET (or request ID), brings up a userspace
WireGuard tunnel to the target's gateway with the grant's key, and forwards
127.0.0.1:PORT to the target until the grant expires or is revoked; then it
closes every connection and exits with status 7. Ctrl-C disconnects; the grant stays.`,
		Args: exactArgs(1, "connect takes one argument: the target or the request ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if port < 0 || port > 65535 {
				return usageError{fmt.Errorf("--port %d: want 1 to 65535", port)}
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			defer c.Close()
			v := newConnectView(g)
			defer v.close()
			err = access.Connect(cmd.Context(), access.ConnectOptions{Hub: c, Dir: f.dir, Ref: args[0], Port: port, OnEvent: v.on, Clock: connectClock})
			var ended *access.EndedError
			if errors.As(err, &ended) {
				return exitCodeError(ExitAccessEnded) // the view said why
			}
			return err
		},
	})
	cmd.Flags().IntVar(&port, "port", 0, "local port (default: the protocol's usual one, e.g. 8080 or 5432, if free, else any)")
	return cmd
}

// connectView renders a connection's events: how to connect, then a
// countdown on a terminal, and how it ended.
type connectView struct {
	g    *globals
	tty  bool
	mu   sync.Mutex
	up   *access.Event // guarded by mu; set once the tunnel is up
	line bool          // guarded by mu; a countdown line is on screen
	stop chan struct{} // closed by close
	once sync.Once
}

func newConnectView(g *globals) *connectView {
	return &connectView{g: g, tty: !g.jsonOut() && isTerminal(g.stderr), stop: make(chan struct{})}
}

func (v *connectView) on(e access.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.g.jsonOut() {
		_ = json.NewEncoder(v.g.stdout).Encode(e) // one line per event
		return
	}
	v.clearLocked()
	switch e.Kind {
	case access.EventUp:
		v.up = &e
		fmt.Fprintln(v.g.stdout, e.Listen)
		fmt.Fprintf(v.g.stderr, "%s (%s) is on %s until %s\n  %s\n", e.Target, e.Protocol, e.Listen,
			format.Clock(e.NotAfter, time.Now()), connectHint(e.Protocol, e.Listen))
		if v.tty {
			go v.countdown()
		} else {
			fmt.Fprintf(v.g.stderr, "%s; Ctrl-C disconnects\n", format.Left(e.NotAfter, e.Time))
		}
	case access.EventGrant:
	case access.EventEnded, access.EventStopped:
		v.up = nil
		fmt.Fprintln(v.g.stderr, e.Message)
	default:
		fmt.Fprintln(v.g.stderr, e.Message)
	}
}

// countdown redraws the time left every second until the view closes.
func (v *connectView) countdown() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		v.mu.Lock()
		if v.up != nil {
			fmt.Fprintf(v.g.stderr, "\r\x1b[K%s on %s: %s; Ctrl-C disconnects", v.up.Target, v.up.Listen, format.Left(v.up.NotAfter, time.Now()))
			v.line = true
		}
		v.mu.Unlock()
		select {
		case <-v.stop:
			return
		case <-t.C:
		}
	}
}

func (v *connectView) clearLocked() {
	if v.line {
		fmt.Fprint(v.g.stderr, "\r\x1b[K")
		v.line = false
	}
}

func (v *connectView) close() {
	v.once.Do(func() { close(v.stop) })
	v.mu.Lock()
	defer v.mu.Unlock()
	v.up = nil // a tick racing the close draws nothing
	v.clearLocked()
}

// connectHint is the command line that reaches the target through addr.
func connectHint(protocol, addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	switch protocol {
	case hubapi.ProtocolHTTP:
		return "curl http://" + addr + "/"
	case hubapi.ProtocolPostgres:
		return "psql -h " + host + " -p " + port
	case hubapi.ProtocolRedis:
		return "redis-cli -h " + host + " -p " + port
	}
	return "connect to " + addr
}
