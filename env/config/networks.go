package config

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// DefaultNetwork is the key of the project network services join when
// they name none.
const DefaultNetwork = "default"

// Keys of a service's entry under networks:.
var (
	networkKeys         = []string{"aliases", "driver_opts", "gw_priority", "interface_name", "ipv4_address", "ipv6_address", "link_local_ips", "mac_address", "priority"}
	networkKeysNoEffect = []string{"driver_opts", "gw_priority", "interface_name", "link_local_ips", "mac_address"}
)

// topNetworks parses the top-level networks:.
func (p *parser) topNetworks(proj *Project, n *yaml.Node) {
	for _, e := range p.definitions(n, "networks") {
		what := fmt.Sprintf("network %q", e.Key)
		if !volumeNameRE.MatchString(e.Key) {
			p.errorf(e.KeyN, "network name %q is invalid; use letters, digits, _, . and -, starting with a letter or digit", e.Key)
			continue
		}
		nw := &Network{DriverOpts: map[string]string{}, Labels: map[string]string{}}
		var name string
		if !isNull(e.Value) && p.mapping(e.Value, what) {
			name = p.networkDef(nw, e.Value, what)
		}
		nw.Name = resourceName(proj.Name, e.Key, name, nw.External)
		proj.Networks[e.Key] = nw
	}
}

// networkDef reads one network's settings and returns its name:.
func (p *parser) networkDef(nw *Network, n *yaml.Node, what string) string {
	var name string
	f := p.fields(n, what, networkDefKeys, true)
	if x := f["name"]; x != nil {
		name, _ = p.str(x, what+" name")
	}
	if x := f["external"]; x != nil {
		nw.External = p.external(x, what, &name)
	}
	if x := f["driver"]; x != nil {
		nw.Driver, _ = p.str(x, what+" driver")
	}
	for key, dst := range map[string]*bool{"internal": &nw.Internal, "attachable": &nw.Attachable, "enable_ipv6": &nw.EnableIPv6} {
		if x := f[key]; x != nil {
			*dst = p.boolean(x, what+" "+key)
		}
	}
	if x := f["driver_opts"]; x != nil {
		p.keyValues(x, what+" driver_opts", nw.DriverOpts, false)
	}
	if x := f["labels"]; x != nil {
		p.keyValues(x, what+" labels", nw.Labels, false)
	}
	if x := f["ipam"]; x != nil && !isNull(x) {
		nw.IPAM = p.ipam(x, what+" ipam")
	}
	if nw.External && (nw.Driver != "" || nw.IPAM != nil || len(nw.DriverOpts) > 0 || len(nw.Labels) > 0 || nw.Internal) {
		p.errorf(n, "%s is external, so devenv does not create it: remove driver, driver_opts, internal, ipam and labels", what)
	}
	return name
}

func (p *parser) ipam(n *yaml.Node, what string) *IPAM {
	if !p.mapping(n, what) {
		return nil
	}
	out := &IPAM{Options: map[string]string{}}
	f := p.fields(n, what, ipamKeys, true)
	if x := f["driver"]; x != nil {
		out.Driver, _ = p.str(x, what+" driver")
	}
	if x := f["options"]; x != nil {
		p.keyValues(x, what+" options", out.Options, false)
	}
	if x := f["config"]; x != nil && x.Kind != yaml.SequenceNode {
		p.errorf(x, "%s config must be a list of subnets, not %s", what, kindName(x))
	} else if x != nil {
		for _, item := range x.Content {
			item = resolve(item)
			if p.mapping(item, what+" config entry") {
				out.Config = append(out.Config, p.ipamPool(item, what+" config"))
			}
		}
	}
	return out
}

func (p *parser) ipamPool(n *yaml.Node, what string) IPAMPool {
	var pool IPAMPool
	f := p.fields(n, what, ipamPoolKeys, true)
	if x := f["subnet"]; x != nil {
		pool.Subnet, _ = p.str(x, what+" subnet")
		if _, err := netip.ParsePrefix(pool.Subnet); err != nil {
			p.errorf(x, "%s subnet %q is not a CIDR prefix; write e.g. 172.28.0.0/16", what, pool.Subnet)
		}
	}
	if x := f["ip_range"]; x != nil {
		pool.IPRange, _ = p.str(x, what+" ip_range")
		if _, err := netip.ParsePrefix(pool.IPRange); err != nil {
			p.errorf(x, "%s ip_range %q is not a CIDR prefix; write e.g. 172.28.5.0/24", what, pool.IPRange)
		}
	}
	if x := f["gateway"]; x != nil {
		pool.Gateway, _ = p.str(x, what+" gateway")
		if _, err := netip.ParseAddr(pool.Gateway); err != nil {
			p.errorf(x, "%s gateway %q is not an IP address", what, pool.Gateway)
		}
	}
	if x := f["aux_addresses"]; x != nil {
		pool.AuxAddresses = map[string]string{}
		p.keyValues(x, what+" aux_addresses", pool.AuxAddresses, false)
	}
	return pool
}

// serviceNetworks parses a service's networks: as a list of names or a
// mapping of name to settings (or null), sorted by priority then name.
func (p *parser) serviceNetworks(s *Service, n *yaml.Node, what string) {
	var out []NetworkAttachment
	if n.Kind != yaml.MappingNode {
		names, nodes := p.strList(n, what, false)
		for i, name := range names {
			if p.knownNetwork(name, nodes[i], what) {
				out = append(out, NetworkAttachment{Network: name})
			}
		}
	} else {
		for _, e := range p.pairs(n) {
			if !p.knownNetwork(e.Key, e.KeyN, what) {
				continue
			}
			a := NetworkAttachment{Network: e.Key}
			if !isNull(e.Value) && p.mapping(e.Value, what+" "+e.Key) {
				p.attachment(&a, e.Value, what+" "+e.Key)
			}
			out = append(out, a)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Priority != out[j].Priority {
			return out[i].Priority > out[j].Priority
		}
		return out[i].Network < out[j].Network
	})
	s.Networks = out
	for _, a := range out {
		if a.Network == DefaultNetwork {
			s.Aliases = a.Aliases
		}
	}
}

// knownNetwork checks that a service names a declared network (or default).
func (p *parser) knownNetwork(name string, at *yaml.Node, what string) bool {
	if name == DefaultNetwork || p.top().Networks[name] != nil {
		return true
	}
	known := append(sortedKeys(p.top().Networks), DefaultNetwork)
	p.errorf(at, "%s: unknown network %q%s; declare it under the top-level networks:, or use one of %s",
		what, name, didYouMean(name, known), quoteList(known))
	return false
}

func (p *parser) attachment(a *NetworkAttachment, n *yaml.Node, what string) {
	f := p.fields(n, what, networkKeys, true)
	if x := f["aliases"]; x != nil {
		a.Aliases, _ = p.strList(x, what+" aliases", false)
	}
	if x := f["priority"]; x != nil {
		s, _ := p.str(x, what+" priority")
		v, err := strconv.Atoi(s)
		if err != nil {
			p.errorf(x, "%s priority %q must be a whole number", what, s)
		}
		a.Priority = v
	}
	for _, key := range networkKeysNoEffect {
		if x := f[key]; x != nil {
			p.warnf(x, "%s %s is not applied by devenv; remove it or set it with docker network connect", what, key)
		}
	}
	nw := p.top().Networks[a.Network]
	if x := f["ipv4_address"]; x != nil {
		a.IPv4Address = p.staticIP(x, nw, what+" ipv4_address", true)
	}
	if x := f["ipv6_address"]; x != nil {
		a.IPv6Address = p.staticIP(x, nw, what+" ipv6_address", false)
	}
}

// staticIP checks a static address: the engine takes one only on a
// network whose subnets the file declares, and only inside one of them.
func (p *parser) staticIP(n *yaml.Node, nw *Network, what string, v4 bool) string {
	s, _ := p.str(n, what)
	addr, err := netip.ParseAddr(s)
	if err != nil || addr.Is4() != v4 {
		p.errorf(n, "%s %q is not an IPv%s address", what, s, map[bool]string{true: "4", false: "6"}[v4])
		return s
	}
	if nw != nil && nw.External {
		return s // its subnets are not in this file; the engine checks
	}
	if nw == nil {
		nw = &Network{} // the implicit default network has no declared subnet
	}
	var subnets []string
	if nw.IPAM != nil {
		for _, c := range nw.IPAM.Config {
			if pr, err := netip.ParsePrefix(c.Subnet); err == nil && pr.Contains(addr) {
				return s
			}
			subnets = append(subnets, c.Subnet)
		}
	}
	if len(subnets) == 0 {
		p.errorf(n, "%s %s needs a subnet: declare one under the network's ipam: config: - subnet: CIDR", what, s)
	} else {
		p.errorf(n, "%s %s is outside the network's subnets %s", what, s, strings.Join(subnets, ", "))
	}
	return s
}

// networkMode parses network_mode: host, none, bridge, service:NAME or
// container:NAME. A service:NAME becomes a dependency on NAME.
func (p *parser) networkMode(s *Service, n *yaml.Node, what string, deps map[string]*yaml.Node) {
	mode, _ := p.str(n, what)
	kind, target, _ := strings.Cut(mode, ":")
	switch {
	case slices.Contains([]string{"host", "none", "bridge"}, mode):
	case kind == "service" && target != "":
		if target == s.Name {
			p.errorf(n, "%s %q names the service itself; name another service", what, mode)
		}
		addDependency(s, target, n, deps)
	case kind == "container" && target != "":
	default:
		p.errorf(n, "%s %q is invalid; use host, none, bridge, service:NAME or container:NAME", what, mode)
	}
	s.NetworkMode = mode
}

// links parses links: SERVICE[:ALIAS]; each is a dependency.
func (p *parser) links(s *Service, n *yaml.Node, what string, deps map[string]*yaml.Node) {
	vals, nodes := p.strList(n, what, false)
	for i, v := range vals {
		svc, _, _ := strings.Cut(v, ":")
		if svc == "" || strings.Count(v, ":") > 1 {
			p.errorf(nodes[i], "%s entry %q is invalid; write SERVICE or SERVICE:ALIAS", what, v)
			continue
		}
		s.Links = append(s.Links, v)
		addDependency(s, svc, nodes[i], deps)
	}
}

// addDependency makes s start after dep, unless depends_on already says how.
func addDependency(s *Service, dep string, at *yaml.Node, deps map[string]*yaml.Node) {
	if _, ok := s.DependsOn[dep]; ok {
		return
	}
	s.DependsOn[dep] = Dependency{Condition: ServiceStarted}
	deps[dep] = at
}
