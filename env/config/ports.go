package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxPortRange caps how many ports one entry may expand to.
const maxPortRange = 1000

// ports parses a list of compose short-syntax port specs.
func (p *parser) ports(n *yaml.Node, what string) []Port {
	specs, nodes := p.strList(n, what, false)
	var out []Port
	for i, spec := range specs {
		ps, err := parsePort(spec)
		if err != nil {
			p.errorf(nodes[i], "%s: port %q: %v", what, spec, err)
			continue
		}
		out = append(out, ps...)
	}
	return out
}

// parsePort parses [[HOST_IP:]HOST:]CONTAINER[/PROTOCOL], where HOST and
// CONTAINER may be ranges (N-M) and HOST may be empty (ephemeral). IPv6
// host addresses go in brackets: [::1]:8080:80.
func parsePort(spec string) ([]Port, error) {
	rest, proto, hasProto := strings.Cut(spec, "/")
	if !hasProto {
		proto = "tcp"
	}
	if proto != "tcp" && proto != "udp" {
		return nil, fmt.Errorf("protocol %q is not supported; use tcp or udp", proto)
	}
	ip, hostPart, contPart, err := splitPortSpec(rest)
	if err != nil {
		return nil, err
	}
	cLo, cHi, err := portRange(contPart, "container")
	if err != nil {
		return nil, err
	}
	var hLo, hHi uint16
	if hostPart != "" {
		if hLo, hHi, err = portRange(hostPart, "host"); err != nil {
			return nil, err
		}
		if hHi-hLo != cHi-cLo {
			return nil, fmt.Errorf("host range %s and container range %s differ in length; make them the same size", hostPart, contPart)
		}
	}
	out := make([]Port, 0, int(cHi-cLo)+1)
	for i := 0; i <= int(cHi-cLo); i++ {
		pt := Port{HostIP: ip, ContainerPort: cLo + uint16(i), Protocol: proto}
		if hostPart != "" {
			pt.HostPort = hLo + uint16(i)
		}
		out = append(out, pt)
	}
	return out, nil
}

// splitPortSpec splits off the host IP and host port, if any.
func splitPortSpec(s string) (ip, host, container string, err error) {
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]:")
		if end < 0 {
			return "", "", "", fmt.Errorf("unclosed [ around the host IP; write [IPV6]:HOST:CONTAINER")
		}
		ip, s = s[1:end], s[end+2:]
		host, container, ok := strings.Cut(s, ":")
		if !ok {
			return "", "", "", fmt.Errorf("missing container port; write [IPV6]:HOST:CONTAINER")
		}
		return checkIP(ip, host, container)
	}
	parts := strings.Split(s, ":")
	switch len(parts) {
	case 1:
		return "", "", parts[0], nil
	case 2:
		if parts[0] == "" {
			return "", "", "", fmt.Errorf("empty host port; write CONTAINER alone for an ephemeral host port")
		}
		return "", parts[0], parts[1], nil
	case 3:
		return checkIP(parts[0], parts[1], parts[2])
	}
	return "", "", "", fmt.Errorf("too many colons; write [[HOST_IP:]HOST:]CONTAINER[/PROTOCOL] (IPv6 addresses in brackets)")
}

func checkIP(ip, host, container string) (string, string, string, error) {
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Zone() != "" {
		return "", "", "", fmt.Errorf("host IP %q is not an IP address; write e.g. 127.0.0.1:8080:80", ip)
	}
	return addr.String(), host, container, nil
}

// portRange parses N or N-M.
func portRange(s, which string) (lo, hi uint16, err error) {
	a, b, isRange := strings.Cut(s, "-")
	if lo, err = portNumber(a, which); err != nil {
		return 0, 0, err
	}
	if !isRange {
		return lo, lo, nil
	}
	if hi, err = portNumber(b, which); err != nil {
		return 0, 0, err
	}
	if hi < lo {
		return 0, 0, fmt.Errorf("%s range %s runs backwards; write LOW-HIGH", which, s)
	}
	if int(hi-lo) >= maxPortRange {
		return 0, 0, fmt.Errorf("%s range %s has more than %d ports; split it", which, s, maxPortRange)
	}
	return lo, hi, nil
}

func portNumber(s, which string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%s port %q is not a number from 1 to 65535", which, s)
	}
	return uint16(n), nil
}

// String renders a Port in the short syntax parsePort reads.
func (pt Port) String() string {
	ip := pt.HostIP
	if strings.Contains(ip, ":") {
		ip = "[" + ip + "]"
	}
	c := strconv.Itoa(int(pt.ContainerPort)) + "/" + pt.Protocol
	switch {
	case ip != "":
		h := ""
		if pt.HostPort != 0 {
			h = strconv.Itoa(int(pt.HostPort))
		}
		return ip + ":" + h + ":" + c
	case pt.HostPort != 0:
		return strconv.Itoa(int(pt.HostPort)) + ":" + c
	}
	return c
}
