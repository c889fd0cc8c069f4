package config

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// Volume is one entry of the top-level volumes:.
type Volume struct {
	Name       string // engine name: name:, else <project>_<key>; external: name:, else the key
	Driver     string // "" is the engine's default (local)
	DriverOpts map[string]string
	External   bool // created outside devenv: never created nor removed, must exist
	Labels     map[string]string
}

// Network is one entry of the top-level networks:. The key "default" names
// the project network every service without networks: joins.
type Network struct {
	Name       string // engine name: name:, else <project>_<key>; external: name:, else the key
	Driver     string // "" is bridge
	DriverOpts map[string]string
	Internal   bool // no route outside the network
	Attachable bool
	EnableIPv6 bool
	External   bool // created outside devenv: never created nor removed, must exist
	Labels     map[string]string
	IPAM       *IPAM // nil: the engine chooses
}

// IPAM is a network's address management.
type IPAM struct {
	Driver  string
	Config  []IPAMPool
	Options map[string]string
}

// IPAMPool is one subnet of a network.
type IPAMPool struct {
	Subnet       string
	Gateway      string
	IPRange      string
	AuxAddresses map[string]string
}

// NetworkAttachment is one network of a service's networks:.
type NetworkAttachment struct {
	Network     string // key in Project.Networks
	Aliases     []string
	IPv4Address string
	IPv6Address string
	Priority    int // higher first; the first network is the one the container is created on
}

// FileObject is one entry of the top-level secrets: or configs:. Exactly one
// of File, Environment and Content is the source.
type FileObject struct {
	File        string // absolute host path, bind-mounted read-only
	Environment string // variable name; its value is in Content
	Content     string // the text written into the container (also for Environment)
	External    bool   // a swarm object: refused, there is no swarm on a local engine
}

// FileRef is a service's use of a secret or a config.
type FileRef struct {
	Source string // key in Project.Secrets or Project.Configs
	Target string // absolute path in the container
	UID    string // "" is root (0)
	GID    string
	Mode   uint32 // permission bits; 0444 unless given
}

// Keys of the top-level resource definitions; envs.schema.json lists the same.
var (
	volumeDefKeys  = []string{"driver", "driver_opts", "external", "labels", "name"}
	networkDefKeys = []string{"attachable", "driver", "driver_opts", "enable_ipv6", "external", "internal", "ipam", "labels", "name"}
	ipamKeys       = []string{"config", "driver", "options"}
	ipamPoolKeys   = []string{"aux_addresses", "gateway", "ip_range", "subnet"}
	fileDefKeys    = []string{"content", "environment", "external", "file", "labels", "name", "template_driver"}
	fileRefKeys    = []string{"gid", "mode", "source", "target", "uid"}
)

// topLevel parses the top-level volumes:, networks:, secrets: and
// configs: into proj; it runs before services:, which refer to them.
func (p *parser) topLevel(proj *Project, f map[string]*yaml.Node) {
	proj.Volumes = map[string]*Volume{}
	proj.Networks = map[string]*Network{}
	proj.Secrets = map[string]*FileObject{}
	proj.Configs = map[string]*FileObject{}
	p.proj = proj
	if v := f["volumes"]; v != nil {
		p.topVolumes(proj, v)
	}
	if v := f["networks"]; v != nil {
		p.topNetworks(proj, v)
	}
	if v := f["secrets"]; v != nil {
		p.fileObjects(proj.Secrets, v, "secrets")
	}
	if v := f["configs"]; v != nil {
		p.fileObjects(proj.Configs, v, "configs")
	}
}

// definitions returns the entries of a top-level section: a mapping (null
// values allowed) or, as some files write it, a list of names.
func (p *parser) definitions(n *yaml.Node, what string) []pair {
	if isNull(n) {
		return nil
	}
	if n.Kind == yaml.SequenceNode {
		names, nodes := p.strList(n, what, false)
		out := make([]pair, len(names))
		for i := range names {
			out[i] = pair{Key: names[i], KeyN: nodes[i], Value: &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: nodes[i].Line, Column: nodes[i].Column}}
		}
		return out
	}
	if !p.mapping(n, what) {
		return nil
	}
	return p.pairs(n)
}

// external reads external: true|false, and the old external: {name: X}
// form, which sets the name.
func (p *parser) external(n *yaml.Node, what string, name *string) bool {
	if n.Kind != yaml.MappingNode {
		return p.boolean(n, what+" external")
	}
	f := p.fields(n, what+" external", []string{"name"}, false)
	if v := f["name"]; v != nil {
		*name, _ = p.str(v, what+" external name")
	}
	p.warnf(n, "%s external: {name: …} is deprecated; write external: true and name: …", what)
	return true
}

// serviceResources reads a service's tmpfs:, secrets: and configs:.
func (p *parser) serviceResources(s *Service, f map[string]*yaml.Node, what string) {
	if v := f["tmpfs"]; v != nil {
		s.Volumes = append(s.Volumes, p.tmpfs(v, what+" tmpfs")...)
	}
	if v := f["secrets"]; v != nil {
		s.Secrets = p.fileRefs(v, what+" secrets", "secrets")
	}
	if v := f["configs"]; v != nil {
		s.Configs = p.fileRefs(v, what+" configs", "configs")
	}
}

// serviceLinks reads network_mode: and links:, which add dependencies to
// deps (returned, made when nil).
func (p *parser) serviceLinks(s *Service, f map[string]*yaml.Node, what string, deps map[string]*yaml.Node) map[string]*yaml.Node {
	if deps == nil {
		deps = map[string]*yaml.Node{}
	}
	if v := f["network_mode"]; v != nil {
		p.networkMode(s, v, what+" network_mode", deps)
		if f["networks"] != nil {
			p.errorf(v, "%s has both network_mode and networks; keep one", what)
		}
		shared := strings.HasPrefix(s.NetworkMode, "service:") || strings.HasPrefix(s.NetworkMode, "container:")
		if len(s.Ports) > 0 && s.NetworkMode != "bridge" && s.NetworkMode != "host" {
			p.errorf(f["ports"], "%s publishes ports but shares another network stack (network_mode %s); publish them on that service instead", what, s.NetworkMode)
		}
		for _, key := range []string{"hostname", "extra_hosts"} {
			if f[key] != nil && shared {
				p.errorf(f[key], "%s sets %s but shares another network stack (network_mode %s), which has its own; remove %s", what, key, s.NetworkMode, key)
			}
		}
	}
	if v := f["links"]; v != nil {
		p.links(s, v, what+" links", deps)
	}
	return deps
}

// top is the project whose top-level declarations services refer to; one
// without any when a service is parsed on its own.
func (p *parser) top() *Project {
	if p.proj == nil {
		p.proj = &Project{}
	}
	return p.proj
}
