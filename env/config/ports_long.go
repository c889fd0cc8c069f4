package config

import (
	"net/netip"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// portKeys are the keys of a port in the long syntax.
var portKeys = []string{"app_protocol", "host_ip", "mode", "name", "protocol", "published", "target"}

// portEntries parses ports: entries one by one, each in the short syntax
// (a string or a number) or the long syntax (a mapping).
func (p *parser) portEntries(n *yaml.Node, what string) []Port {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s must be a list, not %s", what, kindName(n))
		return nil
	}
	var out []Port
	for _, item := range n.Content {
		item = resolve(item)
		if item.Kind == yaml.MappingNode {
			out = append(out, p.longPort(item, what)...)
			continue
		}
		out = append(out, p.ports(&yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{item}}, what)...)
	}
	return out
}

// longPort parses {target, published, host_ip, protocol, mode, name,
// app_protocol} into the same Ports as its short form. mode host and
// ingress publish alike on one engine; name labels the port for people;
// app_protocol has no effect here and warns.
func (p *parser) longPort(n *yaml.Node, what string) []Port {
	f := p.fields(n, what+" entry", portKeys, true)
	t := f["target"]
	if t == nil {
		p.errorf(n, "%s: a port in the long syntax needs target: (the container's port)", what)
		return nil
	}
	spec, ok := p.str(t, what+" target")
	if !ok || spec == "" {
		return nil
	}
	if v := f["published"]; v != nil {
		pub, ok := p.str(v, what+" published")
		if !ok {
			return nil
		}
		spec = pub + ":" + spec
		if v := f["host_ip"]; v != nil {
			ip, ok := p.str(v, what+" host_ip")
			if !ok {
				return nil
			}
			if a, err := netip.ParseAddr(ip); err != nil {
				p.errorf(v, "%s host_ip %q is not an IP address", what, ip)
				return nil
			} else if a.Is6() {
				ip = "[" + ip + "]"
			}
			spec = ip + ":" + spec
		}
	} else if v := f["host_ip"]; v != nil {
		p.errorf(v, "%s: host_ip needs published: (the host port, or a range, or \"\" for any)", what)
		return nil
	}
	if v := f["protocol"]; v != nil {
		if proto, ok := p.str(v, what+" protocol"); ok && proto != "" {
			spec += "/" + strings.ToLower(proto)
		}
	}
	if v := f["mode"]; v != nil {
		if mode, ok := p.str(v, what+" mode"); ok && !slices.Contains([]string{"host", "ingress"}, mode) {
			p.errorf(v, "%s mode %q is invalid; use host or ingress", what, mode)
		}
	}
	if v := f["app_protocol"]; v != nil {
		p.warnf(v, "%s app_protocol has no effect on a local engine; it is ignored", what)
	}
	ps, err := parsePort(spec)
	if err != nil {
		p.errorf(n, "%s: port %s: %v", what, spec, err)
		return nil
	}
	return ps
}
