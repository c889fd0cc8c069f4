package enginetest

import (
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/devenv-dev/devenv/env/engine"
)

// bindPortsLocked publishes fc's ports as the engine reports them: the
// protocol spelled out, an unspecified host address as 0.0.0.0, and a host
// port of 0 replaced by one the system chose, held open (and answering
// TCP connections) until the container stops.
func (f *Fake) bindPortsLocked(fc *fakeContainer) error {
	fc.c.Ports = nil
	for _, p := range fc.spec.Ports {
		p.Protocol = protocol(p)
		if p.HostIP == "" {
			p.HostIP = "0.0.0.0"
		}
		if p.HostPort == 0 {
			port, l, err := listen(p.Protocol, p.HostIP)
			if err != nil {
				f.closeListenersLocked(fc)
				return fmt.Errorf("starting container %s: publishing port %d: %w", fc.c.Name, p.ContainerPort, err)
			}
			p.HostPort = port
			fc.listeners = append(fc.listeners, l)
		}
		fc.c.Ports = append(fc.c.Ports, p)
	}
	return nil
}

func (f *Fake) closeListenersLocked(fc *fakeContainer) {
	for _, l := range fc.listeners {
		_ = l.Close()
	}
	fc.listeners = nil
	fc.c.Ports = nil
}

// listen takes a free port on host and returns it with what holds it.
func listen(proto, host string) (uint16, interface{ Close() error }, error) {
	addr := net.JoinHostPort(host, "0")
	if proto == "udp" {
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			return 0, nil, err
		}
		return uint16(c.LocalAddr().(*net.UDPAddr).Port), c, nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return 0, nil, err
	}
	go acceptAndClose(l)
	_, port, _ := net.SplitHostPort(l.Addr().String())
	n, _ := strconv.Atoi(port)
	return uint16(n), l, nil
}

// acceptAndClose answers connections as a published port with nothing
// behind it does, until l is closed.
func acceptAndClose(l net.Listener) {
	for {
		c, err := l.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err == nil {
			_ = c.Close()
		}
	}
}

func (f *Fake) portConflictLocked(fc *fakeContainer) error {
	for _, p := range fc.spec.Ports {
		if p.HostPort == 0 {
			continue
		}
		for _, other := range f.containers {
			if other == fc || other.c.State != "running" {
				continue
			}
			for _, q := range other.c.Ports {
				if q.HostPort == p.HostPort && protocol(q) == protocol(p) && sameHost(q.HostIP, p.HostIP) {
					return fmt.Errorf("starting container %s: %w: port %d is already allocated by %s",
						fc.c.Name, engine.ErrConflict, p.HostPort, other.c.Name)
				}
			}
		}
	}
	return nil
}

func protocol(p engine.PublishedPort) string {
	if p.Protocol == "" {
		return "tcp"
	}
	return p.Protocol
}

// sameHost reports whether two host IPs of a binding overlap, as the engine
// sees it: an unspecified address takes the port on every address.
func sameHost(a, b string) bool {
	unspecified := func(s string) bool { return s == "" || s == "0.0.0.0" || s == "::" }
	return unspecified(a) || unspecified(b) || a == b
}
