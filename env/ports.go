package env

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/devenv-dev/devenv/env/engine"
)

// PortProber tells whether a host port can be bound and, if not, who holds it.
// The default probes the local host; tests and remote engines may replace it.
type PortProber interface {
	// Holder returns "" when ip:port/proto is free, else a description of its holder.
	Holder(ip string, port uint16, proto string) string
}

type localPorts struct{}

func (localPorts) Holder(ip string, port uint16, proto string) string {
	addr := net.JoinHostPort(ip, strconv.Itoa(int(port)))
	if proto == "udp" {
		c, err := net.ListenPacket("udp", addr)
		if err == nil {
			c.Close()
			return ""
		}
	} else {
		l, err := net.Listen("tcp", addr)
		if err == nil {
			l.Close()
			return ""
		}
	}
	return processHolding(port, proto)
}

// checkPorts finds every published host port of the plan that something other
// than the service's own current container holds.
func checkPorts(ctx context.Context, eng engine.Engine, p *Plan, probe PortProber) error {
	if !publishesNew(p) {
		return nil
	}
	var conflicts []PortConflict
	// A container may bind its ports between the listing and the probe (an
	// interrupted run's start that the engine finished): list once more
	// before blaming a process.
	for attempt := 0; attempt < 2; attempt++ {
		all, err := eng.AllContainers(ctx)
		if err != nil {
			return fmt.Errorf("listing containers to check ports: %w", err)
		}
		conflicts = portConflicts(p, all, probe)
		if len(conflicts) == 0 {
			return nil
		}
	}
	return &PortError{Conflicts: conflicts}
}

// publishesNew reports whether any service that will be created or started
// publishes a fixed host port.
func publishesNew(p *Plan) bool {
	for _, s := range p.Steps {
		if s.Action == ActionKeep {
			continue
		}
		for _, pt := range s.Desired.Spec.Ports {
			if pt.HostPort != 0 {
				return true
			}
		}
	}
	return false
}

// portUse is a host port one of this run's services publishes.
type portUse struct{ service, ip string }

// overlapping names a service already publishing on an IP that overlaps ip.
func overlapping(uses []portUse, ip string) string {
	for _, u := range uses {
		if ipsOverlap(u.ip, ip) {
			return u.service
		}
	}
	return ""
}

func portConflicts(p *Plan, all []engine.Container, probe PortProber) []PortConflict {
	freed := map[string]bool{} // containers this run removes or replaces
	for _, c := range p.Remove {
		freed[c.ID] = true
	}
	for _, s := range p.Steps {
		if s.Existing != nil {
			freed[s.Existing.ID] = true
		}
	}
	var conflicts []PortConflict
	seen := map[string][]portUse{} // port/proto -> who publishes it, on which IP
	for _, s := range p.Steps {
		for _, pt := range s.Desired.Spec.Ports {
			if pt.HostPort == 0 {
				continue
			}
			key := fmt.Sprintf("%d/%s", pt.HostPort, pt.Protocol)
			c := PortConflict{Service: s.Service, HostIP: pt.HostIP, Port: pt.HostPort, Proto: pt.Protocol}
			if other := overlapping(seen[key], pt.HostIP); other != "" {
				c.Holder = "service " + other + " of this project"
				conflicts = append(conflicts, c)
				continue
			}
			seen[key] = append(seen[key], portUse{s.Service, pt.HostIP})
			if s.Action == ActionKeep {
				continue // its own running container holds it
			}
			if c.Holder = portHolder(all, freed, pt, probe, s.Existing); c.Holder != "" {
				conflicts = append(conflicts, c)
			}
		}
	}
	return conflicts
}

func portHolder(all []engine.Container, freed map[string]bool, pt engine.PublishedPort, probe PortProber, own *engine.Container) string {
	for _, c := range all {
		if c.State != "running" && c.State != "restarting" && c.State != "paused" {
			continue
		}
		for _, cp := range c.Ports {
			if cp.HostPort != pt.HostPort || cp.Protocol != pt.Protocol || !ipsOverlap(cp.HostIP, pt.HostIP) {
				continue
			}
			if freed[c.ID] {
				return ""
			}
			return "container " + c.Name
		}
	}
	if own != nil && own.State == "running" {
		// The service's own container may hold it under a binding we did not list.
		for _, cp := range own.Ports {
			if cp.HostPort == pt.HostPort {
				return ""
			}
		}
	}
	holder := probe.Holder(pt.HostIP, pt.HostPort, pt.Protocol)
	if own != nil && strings.Contains(holder, "docker-proxy") {
		// The engine binds a container's ports before the container shows as
		// running: an interrupted run's start of this very container, still
		// finishing, holds it. Start or recreate will settle it.
		return ""
	}
	return holder
}

func ipsOverlap(a, b string) bool {
	isAny := func(s string) bool { return s == "" || s == "0.0.0.0" || s == "::" }
	return isAny(a) || isAny(b) || a == b
}
