//go:build linux

package netnstest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

const (
	bridge  = "br0"  // the bridge, inside the bridge namespace
	hostDev = "eth0" // every host's end of its veth pair
	uapiDir = "/var/run/wireguard"
)

// Available says why multi-host tests cannot run here: not root, no ip
// tool, no /dev/net/tun. nil means they can.
func Available() error {
	if os.Geteuid() != 0 {
		return errors.New("multi-host tests need root (network namespaces, veth, TUN)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return fmt.Errorf("multi-host tests need the ip tool (iproute2): %w", err)
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		return fmt.Errorf("multi-host tests need /dev/net/tun: %w", err)
	}
	if _, err := os.Stat("/proc/thread-self/ns/net"); err != nil {
		return fmt.Errorf("multi-host tests need network namespaces: %w", err)
	}
	return nil
}

// New makes a bridge in a fresh namespace "<name>-<tag>-br", where tag is
// random so that parallel test packages do not collide. Close it when done.
func New(name string) (*Net, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	if name == "" || strings.ContainsAny(name, "/ \t\n") {
		return nil, fmt.Errorf("netnstest: bad network name %q", name)
	}
	var b [2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	n := &Net{tag: hex.EncodeToString(b[:])}
	n.prefix = name + "-" + n.tag
	n.bridged = true
	ns := n.bridgeNS()
	err := n.run(
		[]string{"netns", "add", ns},
		[]string{"-n", ns, "link", "set", "lo", "up"},
		[]string{"-n", ns, "link", "add", bridge, "type", "bridge"},
		[]string{"-n", ns, "link", "set", bridge, "up"},
	)
	if err != nil {
		n.Close()
		return nil, fmt.Errorf("creating bridge %s: %w", ns, err)
	}
	return n, nil
}

func (n *Net) bridgeNS() string { return n.prefix + "-br" }

// Host makes namespace "<prefix>-<name>" joined to the bridge through its
// eth0, which has addr; lo is up.
func (n *Net) Host(name string, addr netip.Prefix) (*Host, error) {
	if name == "" || name == "br" || strings.ContainsAny(name, "/ \t\n") {
		return nil, fmt.Errorf("netnstest: bad host name %q", name)
	}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil, errors.New("netnstest: network is closed")
	}
	for _, h := range n.hosts {
		if h.Name == name {
			n.mu.Unlock()
			return nil, fmt.Errorf("netnstest: host %q exists", name)
		}
	}
	h := &Host{Name: name, NS: n.prefix + "-" + name, Addr: addr, net: n}
	h.veth = fmt.Sprintf("v%d", len(n.hosts))
	n.hosts = append(n.hosts, h) // before creating it: Close removes the half-made
	n.mu.Unlock()

	br := n.bridgeNS()
	err := n.run(
		[]string{"netns", "add", h.NS},
		[]string{"-n", h.NS, "link", "set", "lo", "up"},
		[]string{"-n", br, "link", "add", h.veth, "type", "veth", "peer", "name", hostDev, "netns", h.NS},
		[]string{"-n", br, "link", "set", h.veth, "master", bridge, "up"},
		[]string{"-n", h.NS, "addr", "add", addr.String(), "dev", hostDev},
		[]string{"-n", h.NS, "link", "set", hostDev, "up"},
	)
	if err != nil {
		return nil, fmt.Errorf("creating host %s: %w", h.NS, err)
	}
	return h, nil
}

// IfName returns an interface name, unique to n, that starts with base (cut
// to 8 bytes) and fits IFNAMSIZ. Close removes the WireGuard UAPI socket of
// every name handed out: the socket directory is shared by all namespaces.
func (n *Net) IfName(base string) string {
	if len(base) > 8 {
		base = base[:8]
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	name := fmt.Sprintf("%s%s%d", base, n.tag, len(n.ifnames))
	if len(name) > unix.IFNAMSIZ-1 {
		name = name[:unix.IFNAMSIZ-1]
	}
	n.ifnames = append(n.ifnames, name)
	return name
}

// Close kills the processes Start began, removes every namespace (and with
// them the links) and the UAPI sockets of the names IfName handed out. It
// may be called more than once, and after New or Host failed halfway.
func (n *Net) Close() error {
	n.mu.Lock()
	n.closed = true
	hosts, cmds, ifnames, bridged := n.hosts, n.cmds, n.ifnames, n.bridged
	n.hosts, n.cmds, n.ifnames, n.bridged = nil, nil, nil, false
	n.mu.Unlock()

	var errs []error
	for _, cmd := range cmds {
		if cmd.Process != nil && cmd.ProcessState == nil {
			cmd.Process.Kill() // the caller waits; a dead process is what matters
		}
	}
	for _, h := range hosts {
		errs = append(errs, n.deleteNS(h.NS))
	}
	if bridged {
		errs = append(errs, n.deleteNS(n.bridgeNS()))
	}
	for _, name := range ifnames {
		err := os.Remove(filepath.Join(uapiDir, name+".sock"))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// deleteNS removes a namespace; one that does not exist is done.
func (n *Net) deleteNS(ns string) error {
	if _, err := os.Stat(filepath.Join("/var/run/netns", ns)); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := n.run([]string{"netns", "del", ns}); err != nil {
		n.logf("netnstest: %v", err)
		return err
	}
	return nil
}

// run runs ip with each argument list in turn, stopping at the first error.
func (n *Net) run(cmds ...[]string) error {
	for _, args := range cmds {
		n.logf("ip %s", strings.Join(args, " "))
		out, err := exec.Command("ip", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
		}
	}
	return nil
}

// Command returns argv set up to run inside h (through ip netns exec), to
// be started by the caller. Close does not know about it.
func (h *Host) Command(ctx context.Context, argv ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.NS}, argv...)...)
}

// Run runs argv inside h and returns its combined output; the error carries
// the output too.
func (h *Host) Run(ctx context.Context, argv ...string) ([]byte, error) {
	h.net.logf("%s: %s", h.Name, strings.Join(argv, " "))
	out, err := h.Command(ctx, argv...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s on %s: %w: %s", strings.Join(argv, " "), h.Name, err, bytes.TrimSpace(out))
	}
	return out, nil
}

// Start starts argv inside h in the background, its output discarded. The
// caller waits for it; Net.Close kills it if it still runs.
func (h *Host) Start(ctx context.Context, argv ...string) (*exec.Cmd, error) {
	h.net.logf("%s: %s &", h.Name, strings.Join(argv, " "))
	cmd := h.Command(ctx, argv...)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s on %s: %w", strings.Join(argv, " "), h.Name, err)
	}
	h.net.mu.Lock()
	h.net.cmds = append(h.net.cmds, cmd)
	h.net.mu.Unlock()
	return cmd, nil
}

// Do runs f on the calling goroutine, locked to an OS thread that is in h's
// namespace, and moves the thread back afterwards. Sockets, TUN devices and
// commands that f creates on this goroutine live in h; goroutines that f
// starts do not run in h.
func (h *Host) Do(f func() error) (err error) {
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("opening own namespace: %w", err)
	}
	defer orig.Close()
	target, err := os.Open(filepath.Join("/var/run/netns", h.NS))
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("opening namespace %s: %w", h.NS, err)
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("entering namespace %s: %w", h.NS, err)
	}
	defer func() {
		if rerr := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); rerr != nil {
			// The thread stays locked, so the runtime retires it with the
			// goroutine instead of reusing it in the wrong namespace.
			err = errors.Join(err, fmt.Errorf("leaving namespace %s: %w", h.NS, rerr))
			return
		}
		runtime.UnlockOSThread()
	}()
	return f()
}

// Sysctl sets a network sysctl inside h, e.g. Sysctl("net.ipv4.ip_forward", "1").
func (h *Host) Sysctl(key, value string) error {
	path := filepath.Join("/proc/sys", strings.ReplaceAll(key, ".", "/"))
	return h.Do(func() error {
		if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
			return fmt.Errorf("setting %s on %s: %w", key, h.Name, err)
		}
		return nil
	})
}
