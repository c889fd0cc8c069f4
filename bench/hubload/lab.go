package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/devenv-dev/devenv/internal/netnstest"
	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// The underlay: every host on one bridge.
const (
	hubLAN   = "10.9.0.1"
	aLAN     = "10.9.0.2"
	apiPort  = "8443"
	userName = "bench"
)

// lab is the namespaces, the hub and the nodes of one run.
type lab struct {
	o      options
	net    *netnstest.Net
	hub    *netnstest.Host
	a      *netnstest.Host
	hubIf  string
	hubLog string
	admin  *hub.AdminClient
	procs  []*proc // stopped by close, newest first
}

// proc is a devenv process in a namespace, its output in a log file.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed when it exited
}

func newLab(ctx context.Context, o options) (*lab, error) {
	n, err := netnstest.New("hubload")
	if err != nil {
		return nil, err
	}
	l := &lab{o: o, net: n, hubIf: n.IfName("hub")}
	if l.hub, err = n.Host("hub", netip.MustParsePrefix(hubLAN+"/24")); err == nil {
		l.a, err = n.Host("a", netip.MustParsePrefix(aLAN+"/24"))
	}
	if err == nil {
		err = l.startHub(ctx)
	}
	if err != nil {
		l.close()
		return nil, err
	}
	return l, nil
}

// startHub runs devenv hub serve in the hub's namespace (it turns on IP
// forwarding there) and adds the user whose devices enroll.
func (l *lab) startHub(ctx context.Context) error {
	data := filepath.Join(l.o.work, "hub")
	l.admin = hub.NewAdminClient(data)
	p, err := l.start(ctx, l.hub, "hub", l.o.devenv, "hub", "--data", data, "serve",
		"--listen", ":"+apiPort, "--public-url", "https://"+hubLAN+":"+apiPort,
		"--network", l.o.network.String(), "--interface", l.hubIf)
	if err != nil {
		return err
	}
	l.hubLog = p.log
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := l.admin.AddUser(ctx, userName, hubapi.RoleDeveloper)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return fmt.Errorf("the hub did not answer on its admin socket (log: %s): %w", l.hubLog, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// start runs argv in h with its output in WORK/NAME.log.
func (l *lab) start(ctx context.Context, h *netnstest.Host, name string, argv ...string) (*proc, error) {
	logPath := filepath.Join(l.o.work, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := h.Command(context.WithoutCancel(ctx), argv...) // close stops it, gently
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	l.procs = append([]*proc{p}, l.procs...)
	return p, nil
}

// stop interrupts p (ip netns exec has exec'd devenv, so the signal reaches
// it) and kills it if it has not exited within 5 s.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (l *lab) close() {
	for _, p := range l.procs {
		p.stop()
	}
	if err := l.net.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "hubload: removing the namespaces:", err)
	}
}

// enrollLoad runs the enroll phase inside the hub's namespace, against the
// API on loopback.
func (l *lab) enrollLoad(ctx context.Context) (enrollResult, error) {
	self, err := os.Executable()
	if err != nil {
		return enrollResult{}, err
	}
	cmd := l.hub.Command(ctx, self, enrollCmd, "-data", filepath.Join(l.o.work, "hub"),
		"-url", "https://127.0.0.1:"+apiPort, "-user", userName, "-devices", fmt.Sprint(l.o.devices))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = context.Cause(ctx)
		}
		return enrollResult{}, fmt.Errorf("enroll phase: %w", err)
	}
	var res enrollResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return res, fmt.Errorf("reading the enroll phase's result: %w", err)
	}
	return res, nil
}

// hubCheck is what the hub holds after the enroll phase.
type hubCheck struct {
	live  int // live devices in the store
	peers int // peers on the hub's WireGuard device
}

func (l *lab) checkHub(ctx context.Context) (hubCheck, error) {
	var c hubCheck
	devs, err := l.admin.Devices(ctx)
	if err != nil {
		return c, fmt.Errorf("listing devices: %w", err)
	}
	for _, d := range devs {
		if !d.Revoked {
			c.live++
		}
	}
	out, err := l.hub.Run(ctx, "wg", "show", l.hubIf, "peers")
	if err != nil {
		return c, fmt.Errorf("reading the hub device's peers: %w", err)
	}
	c.peers = len(strings.Fields(string(out)))
	return c, nil
}

var (
	hubBackendRE  = regexp.MustCompile(`hub device up.*backend=(\w+)`)
	nodeBackendRE = regexp.MustCompile(`is up at \S+ \((\w+)\)`)
)

// hubBackend is the backend the hub's log names for its device.
func (l *lab) hubBackend() string { return logMatch(l.hubLog, hubBackendRE) }

func logMatch(path string, re *regexp.Regexp) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	if m := re.FindSubmatch(b); m != nil {
		return string(m[1])
	}
	return "unknown"
}

// join enrolls a node's state directory with a new invite, in h.
func (l *lab) join(ctx context.Context, h *netnstest.Host, name, dir string) (time.Duration, error) {
	inv, err := l.admin.CreateInvite(ctx, hub.InviteOptions{User: userName})
	if err != nil {
		return 0, fmt.Errorf("creating an invite for %s: %w", name, err)
	}
	start := time.Now()
	if _, err := h.Run(ctx, l.o.devenv, "vpn", "--state-dir", dir, "join", inv.Invite, "--name", name); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// up starts devenv vpn up --foreground in h: the node's default backend
// (kernel, else wireguard-go on TUN).
func (l *lab) up(ctx context.Context, h *netnstest.Host, name, dir string) (*proc, error) {
	return l.start(ctx, h, name, l.o.devenv, "vpn", "--state-dir", dir, "up", "--foreground",
		"--interface", l.net.IfName(name))
}
