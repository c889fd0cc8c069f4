// Package netnstest builds small networks of Linux network namespaces for
// tests that need several hosts: one bridge, and any number of hosts joined
// to it by veth pairs, each with its own address. Tests run commands inside a
// host (Run, Start) and Go code that must create sockets or TUN devices there
// (Do). Close removes every namespace, link and WireGuard UAPI socket the
// network made, also after a partial failure.
//
// Multi-host tests need root, the ip tool and /dev/net/tun; Available says
// which one is missing so that a test can skip with the reason:
//
//	if err := netnstest.Available(); err != nil {
//		t.Skip(err)
//	}
//	n, err := netnstest.New("wgtest")
//	if err != nil {
//		t.Fatal(err)
//	}
//	t.Cleanup(func() { n.Close() })
//	a, err := n.Host("a", netip.MustParsePrefix("10.9.0.1/24"))
//	…
//	out, err := a.Run(t.Context(), "ping", "-c1", "-W1", "10.9.0.2")
package netnstest

import (
	"errors"
	"net/netip"
	"os/exec"
	"sync"
)

// ErrUnsupported is returned where network namespaces do not exist.
var ErrUnsupported = errors.New("network namespaces need Linux")

// Logger receives the commands a Net runs and the errors it ignores while
// tearing down; *testing.T satisfies it.
type Logger interface {
	Logf(format string, args ...any)
}

// Net is a bridge and the hosts joined to it.
type Net struct {
	// Log, if set, receives every command run and every teardown error.
	Log Logger

	prefix string // "<name>-<tag>", unique per Net; namespaces start with it
	tag    string // random hex, part of every interface name IfName hands out

	mu      sync.Mutex
	hosts   []*Host     // guarded by mu; in creation order, also the half-made
	ifnames []string    // guarded by mu; names handed out by IfName
	cmds    []*exec.Cmd // guarded by mu; started with Start
	bridged bool        // guarded by mu; the bridge namespace may exist
	closed  bool        // guarded by mu
}

// Host is a network namespace joined to the Net's bridge through its eth0.
type Host struct {
	Name string       // short name given to Net.Host
	NS   string       // namespace name, usable with `ip netns exec`
	Addr netip.Prefix // eth0's address

	net  *Net
	veth string // the pair's end on the bridge
}

// Prefix is the unique prefix of the namespaces of n.
func (n *Net) Prefix() string { return n.prefix }

func (n *Net) logf(format string, args ...any) {
	if n.Log != nil {
		n.Log.Logf(format, args...)
	}
}
