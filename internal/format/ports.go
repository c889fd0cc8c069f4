package format

import (
	"fmt"
	"slices"
	"strings"
)

// Port is a container port and where it is published, shaped like the
// engine's engine.PublishedPort (format imports no product package).
type Port struct {
	HostIP        string
	HostPort      uint16 // 0: not published
	ContainerPort uint16
	Protocol      string // tcp (the default, left unsaid), udp or sctp
}

// Ports is a container's ports, compact: 8080->80, 127.0.0.1:5432->5432,
// 5353->53/udp, 9000 (not published). A port published on every address
// once for IPv4 and once for IPv6 shows once. P is any struct shaped like
// Port, such as engine.PublishedPort.
func Ports[P ~struct {
	HostIP        string
	HostPort      uint16
	ContainerPort uint16
	Protocol      string
}](ps []P) string {
	var out []string
	for _, p := range ps {
		if s := Port(p).String(); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return strings.Join(out, ",")
}

// String is one port as Ports writes it.
func (p Port) String() string {
	s := fmt.Sprint(p.ContainerPort)
	if p.HostPort != 0 {
		s = fmt.Sprintf("%d->%d", p.HostPort, p.ContainerPort)
		if !AnyAddress(p.HostIP) {
			s = p.HostIP + ":" + s
		}
	}
	if p.Protocol != "" && p.Protocol != "tcp" {
		s += "/" + p.Protocol
	}
	return s
}

// AnyAddress is whether ip is "every address" ("", 0.0.0.0 or ::).
func AnyAddress(ip string) bool { return ip == "" || ip == "0.0.0.0" || ip == "::" }
