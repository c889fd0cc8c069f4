package env

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"sort"
	"strconv"
	"strings"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// DesiredNetwork is a network the selected services use that the project
// owns (created by up, removed by down).
type DesiredNetwork struct {
	Key  string // key under networks:, "default" for the project network
	Spec engine.NetworkSpec
}

// desiredResources fills d's networks and volumes from what the selected
// services use: declared ones with their settings, the rest as today.
func desiredResources(d *Desired, p *config.Project, selected []string) {
	nets := map[string]DesiredNetwork{}
	extNets, extVols := map[string]bool{}, map[string]bool{}
	vols := map[string]engine.VolumeSpec{}
	for _, name := range selected {
		s := p.Services[name]
		for _, key := range networkKeys(s) {
			nw := p.Networks[key]
			switch {
			case nw == nil:
				nets[d.Network] = DesiredNetwork{Key: key, Spec: engine.NetworkSpec{Name: d.Network}}
			case nw.External:
				extNets[nw.Name] = true
			default:
				nets[nw.Name] = DesiredNetwork{Key: key, Spec: networkSpec(nw)}
			}
		}
		for _, m := range s.Volumes {
			if m.Type != config.MountVolume || m.Source == "" {
				continue
			}
			v := p.Volumes[m.Source]
			switch {
			case v == nil:
				vols[VolumeName(p.Name, m.Source)] = engine.VolumeSpec{Name: VolumeName(p.Name, m.Source), Labels: map[string]string{engine.LabelVolume: m.Source}}
			case v.External:
				extVols[v.Name] = true
			default:
				vols[v.Name] = engine.VolumeSpec{Name: v.Name, Driver: v.Driver, DriverOpts: v.DriverOpts, Labels: withLabel(v.Labels, engine.LabelVolume, m.Source)}
			}
		}
	}
	for _, n := range sortedKeysOf(nets) {
		d.Networks = append(d.Networks, nets[n])
	}
	d.ExternalNetworks = sortedKeysOf(extNets)
	d.ExternalVolumes = sortedKeysOf(extVols)
	d.VolumeSpecs = vols
	d.Volumes = sortedKeysOf(vols)
}

// networkKeys lists the networks a service joins (none with a network_mode).
func networkKeys(s *config.Service) []string {
	if s.NetworkMode != "" {
		return nil
	}
	if len(s.Networks) == 0 {
		return []string{config.DefaultNetwork}
	}
	keys := make([]string, len(s.Networks))
	for i, a := range s.Networks {
		keys[i] = a.Network
	}
	return keys
}

func networkSpec(nw *config.Network) engine.NetworkSpec {
	spec := engine.NetworkSpec{
		Name: nw.Name, Labels: maps.Clone(nw.Labels), Driver: nw.Driver, DriverOpts: nw.DriverOpts,
		Internal: nw.Internal, Attachable: nw.Attachable, EnableIPv6: nw.EnableIPv6,
	}
	if nw.IPAM != nil {
		spec.IPAM = &engine.IPAMSpec{Driver: nw.IPAM.Driver, Options: nw.IPAM.Options}
		for _, c := range nw.IPAM.Config {
			spec.IPAM.Pools = append(spec.IPAM.Pools, engine.IPAMPool{Subnet: c.Subnet, Gateway: c.Gateway, IPRange: c.IPRange, AuxAddresses: c.AuxAddresses})
		}
	}
	return spec
}

// defaultNetworkName is the engine name of the project network: its
// declared name: under networks: default, else <project>_default.
func defaultNetworkName(p *config.Project) string {
	if nw := p.Networks[config.DefaultNetwork]; nw != nil {
		return nw.Name
	}
	return NetworkName(p.Name)
}

// specNetworking sets the container's networks, network mode and links.
func specNetworking(spec *engine.ContainerSpec, p *config.Project, s *config.Service) {
	spec.Network, spec.Aliases = "", nil
	switch kind, target, _ := strings.Cut(s.NetworkMode, ":"); {
	case kind == "service":
		spec.NetworkMode = "container:" + serviceContainer(p, target)
		return
	case s.NetworkMode != "": // host, none, bridge or container:NAME
		spec.NetworkMode = s.NetworkMode
		return
	}
	attach := s.Networks
	if len(attach) == 0 {
		attach = []config.NetworkAttachment{{Network: config.DefaultNetwork, Aliases: s.Aliases}}
	}
	for i, a := range attach {
		name := defaultNetworkName(p)
		if nw := p.Networks[a.Network]; nw != nil {
			name = nw.Name
		}
		aliases := append([]string{s.Name}, a.Aliases...)
		if i == 0 {
			spec.Network, spec.Aliases = name, aliases
			spec.IPv4Address, spec.IPv6Address = a.IPv4Address, a.IPv6Address
			continue
		}
		spec.MoreNetworks = append(spec.MoreNetworks, engine.EndpointSpec{
			Network: name, Aliases: aliases, IPv4Address: a.IPv4Address, IPv6Address: a.IPv6Address,
		})
	}
	for _, l := range s.Links {
		svc, alias, ok := strings.Cut(l, ":")
		if !ok {
			alias = svc
		}
		spec.Links = append(spec.Links, serviceContainer(p, svc)+":"+alias)
	}
}

// specMounts maps the service's mounts, and its secrets and configs: file
// sources are bind-mounted read-only, the others copied in before start.
func specMounts(spec *engine.ContainerSpec, p *config.Project, s *config.Service) {
	for _, m := range s.Volumes {
		src := m.Source
		if m.Type == config.MountVolume && src != "" {
			src = VolumeName(p.Name, m.Source)
			if v := p.Volumes[m.Source]; v != nil {
				src = v.Name
			}
		}
		spec.Mounts = append(spec.Mounts, engine.MountSpec{
			Type: string(m.Type), Source: src, Target: m.Target, ReadOnly: m.ReadOnly,
			CreateHostPath: m.CreateHostPath, SELinux: m.SELinux, Propagation: m.Propagation,
			NoCopy: m.NoCopy, Subpath: m.Subpath, TmpfsSize: m.TmpfsSize, TmpfsMode: m.TmpfsMode,
		})
	}
	for _, refs := range []struct {
		list []config.FileRef
		defs map[string]*config.FileObject
	}{{s.Secrets, p.Secrets}, {s.Configs, p.Configs}} {
		for _, r := range refs.list {
			o := refs.defs[r.Source]
			if o == nil {
				continue // config refuses undeclared ones
			}
			if o.File != "" {
				spec.Mounts = append(spec.Mounts, engine.MountSpec{Type: "bind", Source: o.File, Target: r.Target, ReadOnly: true})
				continue
			}
			uid, _ := strconv.Atoi(orZero(r.UID))
			gid, _ := strconv.Atoi(orZero(r.GID))
			spec.Files = append(spec.Files, engine.FileSpec{Path: r.Target, Content: o.Content, UID: uid, GID: gid, Mode: r.Mode})
		}
	}
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

func withLabel(labels map[string]string, k, v string) map[string]string {
	out := maps.Clone(labels)
	if out == nil {
		out = map[string]string{}
	}
	out[k] = v
	return out
}

func sortedKeysOf[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// NetworkStep is the plan for one of the project's networks.
type NetworkStep struct {
	Name   string
	Spec   engine.NetworkSpec
	Create bool
	ID     string // the network kept, when not creating one
	Hash   string // of Spec, kept in the network's config-hash label
	// Changed is set when the network kept was created with other settings;
	// the engine cannot change them in place, so up stops and says so.
	Changed bool
}

// planNetworks keeps one observed network per desired name (the lowest
// ID) and plans the removal of duplicates left by interrupted runs.
func (p *Plan) planNetworks(d Desired, o *engine.Observed) {
	for _, dn := range d.Networks {
		st := NetworkStep{Name: dn.Spec.Name, Spec: dn.Spec, Create: true, Hash: networkHash(dn.Spec)}
		for _, n := range sortedNetworks(o.Networks) {
			if n.Name != st.Name {
				continue
			}
			if st.Create {
				st.Create, st.ID = false, n.ID
				// A network made before the label existed is taken as current.
				had := n.Labels[engine.LabelConfigHash]
				st.Changed = had != "" && had != st.Hash
				continue
			}
			p.RemoveNetworks = append(p.RemoveNetworks, n)
		}
		p.Networks = append(p.Networks, st)
	}
}

// planVolumes plans the creation of the project's missing volumes, and
// names those kept that were created with other settings. A volume made
// before the label existed is taken as current.
func (p *Plan) planVolumes(d Desired, o *engine.Observed) {
	have := map[string]engine.Volume{}
	for _, v := range o.Volumes {
		have[v.Name] = v
	}
	for _, name := range d.Volumes {
		v, ok := have[name]
		if !ok {
			p.CreateVolumes = append(p.CreateVolumes, name)
			continue
		}
		if had := v.Labels[engine.LabelConfigHash]; had != "" && had != volumeHash(d.VolumeSpecs[name]) {
			p.ChangedVolumes = append(p.ChangedVolumes, name)
		}
	}
}

// volumeHash is a stable digest of a volume's settings, without its name.
func volumeHash(spec engine.VolumeSpec) string {
	spec.Name = ""
	b, err := json.Marshal(spec) // maps marshal with sorted keys
	if err != nil {
		panic("env: hashing a volume spec: " + err.Error()) // plain data cannot fail to marshal
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16]
}

// networkHash is a stable digest of a network's settings.
func networkHash(spec engine.NetworkSpec) string {
	b, err := json.Marshal(spec) // maps marshal with sorted keys
	if err != nil {
		panic("env: hashing a network spec: " + err.Error()) // plain data cannot fail to marshal
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16]
}

// labelStackOf is on a container that shares another service's network
// stack: that service's config hash, so that a new container there (with a
// new stack) makes a new one here too.
const labelStackOf = "dev.devenv.network-of"

// shareHashes folds into each network_mode service:X service the hash of
// X (chains settle within one pass per service).
func shareHashes(d *Desired, p *config.Project) {
	index := map[string]int{}
	for i, ds := range d.Services {
		index[ds.Name] = i
	}
	for range d.Services {
		for i := range d.Services {
			ds := &d.Services[i]
			peer, ok := strings.CutPrefix(p.Services[ds.Name].NetworkMode, "service:")
			j, selected := index[peer]
			if !ok || !selected || ds.Spec.Labels[labelStackOf] == d.Services[j].Hash {
				continue
			}
			delete(ds.Spec.Labels, engine.LabelConfigHash)
			ds.Spec.Labels[labelStackOf] = d.Services[j].Hash
			ds.Hash = specHash(ds.Spec)
			ds.Spec.Labels[engine.LabelConfigHash] = ds.Hash
		}
	}
}

// serviceContainer is the engine name of a service's container, also when
// container_name sets it.
func serviceContainer(p *config.Project, service string) string {
	if s := p.Services[service]; s != nil {
		return containerNameOf(p.Name, s)
	}
	return ContainerName(p.Name, service)
}
