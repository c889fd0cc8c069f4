package config

import (
	"fmt"
	"strconv"
)

// formatResources adds the top-level volumes, networks, secrets and configs.
func (p *Project) formatResources(doc map[string]any) {
	if len(p.Volumes) > 0 {
		vols := map[string]any{}
		for k, v := range p.Volumes {
			m := map[string]any{"name": escapeDollars(v.Name)}
			putBool(m, "external", v.External)
			putStr(m, "driver", v.Driver)
			putMap(m, "driver_opts", v.DriverOpts)
			putMap(m, "labels", v.Labels)
			vols[k] = m
		}
		doc["volumes"] = vols
	}
	if len(p.Networks) > 0 {
		nets := map[string]any{}
		for k, n := range p.Networks {
			nets[k] = n.format()
		}
		doc["networks"] = nets
	}
	for key, objs := range map[string]map[string]*FileObject{"secrets": p.Secrets, "configs": p.Configs} {
		if len(objs) == 0 {
			continue
		}
		out := map[string]any{}
		for k, o := range objs {
			m := map[string]any{}
			switch {
			case o.File != "":
				m["file"] = escapeDollars(o.File)
			case o.Environment != "":
				m["environment"] = o.Environment
			default:
				m["content"] = escapeDollars(o.Content)
			}
			out[k] = m
		}
		doc[key] = out
	}
}

func (n *Network) format() map[string]any {
	m := map[string]any{"name": escapeDollars(n.Name)}
	putStr(m, "driver", n.Driver)
	putBool(m, "external", n.External)
	putBool(m, "internal", n.Internal)
	putBool(m, "attachable", n.Attachable)
	putBool(m, "enable_ipv6", n.EnableIPv6)
	putMap(m, "driver_opts", n.DriverOpts)
	putMap(m, "labels", n.Labels)
	if n.IPAM != nil {
		ipam := map[string]any{}
		putStr(ipam, "driver", n.IPAM.Driver)
		putMap(ipam, "options", n.IPAM.Options)
		var pools []any
		for _, c := range n.IPAM.Config {
			pool := map[string]any{}
			putStr(pool, "subnet", c.Subnet)
			putStr(pool, "gateway", c.Gateway)
			putStr(pool, "ip_range", c.IPRange)
			if c.AuxAddresses != nil {
				pool["aux_addresses"] = escapeMap(c.AuxAddresses)
			}
			pools = append(pools, pool)
		}
		if pools != nil {
			ipam["config"] = pools
		}
		m["ipam"] = ipam
	}
	return m
}

// formatResources adds a service's networks, network_mode, links, long
// volumes, secrets and configs to m.
func (s *Service) formatResources(m map[string]any) {
	if len(s.Networks) > 0 {
		nets := map[string]any{}
		for _, a := range s.Networks {
			n := map[string]any{}
			putList(n, "aliases", a.Aliases)
			putStr(n, "ipv4_address", a.IPv4Address)
			putStr(n, "ipv6_address", a.IPv6Address)
			if a.Priority != 0 {
				n["priority"] = a.Priority
			}
			nets[a.Network] = n
		}
		m["networks"] = nets
	}
	putStr(m, "network_mode", s.NetworkMode)
	putList(m, "links", s.Links)
	if len(s.Volumes) > 0 {
		vols := make([]any, len(s.Volumes))
		for i, v := range s.Volumes {
			vols[i] = v.format()
		}
		m["volumes"] = vols
	}
	for key, refs := range map[string][]FileRef{"secrets": s.Secrets, "configs": s.Configs} {
		if len(refs) == 0 {
			continue
		}
		out := make([]any, len(refs))
		for i, r := range refs {
			e := map[string]any{"source": r.Source, "target": escapeDollars(r.Target), "mode": fmt.Sprintf("0%o", r.Mode)}
			putStr(e, "uid", r.UID)
			putStr(e, "gid", r.GID)
			out[i] = e
		}
		m[key] = out
	}
}

// format renders a mount in the short syntax when that says it all, and in
// the long syntax otherwise.
func (m Mount) format() any {
	short := m.Subpath == "" && m.Propagation == "" && m.Type != MountTmpfs &&
		(m.Type != MountBind || m.CreateHostPath) && (m.Type == MountBind || m.Source != "" || !m.NoCopy)
	if short {
		return escapeDollars(m.String())
	}
	l := map[string]any{"type": string(m.Type), "target": escapeDollars(m.Target)}
	putStr(l, "source", escapeDollars(m.Source))
	putBool(l, "read_only", m.ReadOnly)
	switch m.Type {
	case MountBind:
		b := map[string]any{"create_host_path": m.CreateHostPath}
		putStr(b, "selinux", m.SELinux)
		putStr(b, "propagation", m.Propagation)
		l["bind"] = b
	case MountVolume:
		v := map[string]any{}
		putBool(v, "nocopy", m.NoCopy)
		putStr(v, "subpath", escapeDollars(m.Subpath))
		l["volume"] = v
	case MountTmpfs:
		t := map[string]any{}
		if m.TmpfsSize != 0 {
			t["size"] = strconv.FormatInt(m.TmpfsSize, 10)
		}
		if m.TmpfsMode != 0 {
			t["mode"] = fmt.Sprintf("0%o", m.TmpfsMode)
		}
		l["tmpfs"] = t
	}
	return l
}

// String renders a Mount in the short [SOURCE:]TARGET[:MODES] syntax (which
// cannot say everything: see format).
func (m Mount) String() string {
	s := m.Target
	if m.Source != "" {
		s = m.Source + ":" + s
	}
	var modes []string
	if m.ReadOnly {
		modes = append(modes, "ro")
	}
	if m.SELinux != "" {
		modes = append(modes, m.SELinux)
	}
	if m.NoCopy {
		modes = append(modes, "nocopy")
	}
	for i, mode := range modes {
		if i == 0 {
			s += ":"
		} else {
			s += ","
		}
		s += mode
	}
	return s
}

func putStr(m map[string]any, key, v string) {
	if v != "" {
		m[key] = v
	}
}

func putBool(m map[string]any, key string, v bool) {
	if v {
		m[key] = true
	}
}

func escapeMap(kv map[string]string) map[string]string {
	out := make(map[string]string, len(kv))
	for k, v := range kv {
		out[k] = escapeDollars(v)
	}
	return out
}
