package engine

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"
	"github.com/docker/go-units"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// RuntimeSpec is how the container runs: capabilities, namespaces, limits,
// logging. Zero fields leave the engine's defaults. Part of ContainerSpec,
// and so of the config hash.
type RuntimeSpec struct {
	Expose            []string          `json:",omitempty"` // PORT[-PORT][/PROTO]
	CapAdd            []string          `json:",omitempty"`
	CapDrop           []string          `json:",omitempty"`
	Sysctls           map[string]string `json:",omitempty"`
	ShmSize           int64             `json:",omitempty"`
	Ulimits           []Ulimit          `json:",omitempty"` // sorted by name
	Init              *bool             `json:",omitempty"`
	TTY               bool              `json:",omitempty"`
	StdinOpen         bool              `json:",omitempty"`
	StdinOnce         bool              `json:",omitempty"` // stdin closes when the attached stream ends
	StopSignal        string            `json:",omitempty"`
	StopTimeout       *int              `json:",omitempty"` // seconds
	Privileged        bool              `json:",omitempty"`
	ReadOnly          bool              `json:",omitempty"`
	SecurityOpt       []string          `json:",omitempty"`
	Devices           []string          `json:",omitempty"` // HOST[:CONTAINER[:PERMISSIONS]]
	DNS               []string          `json:",omitempty"`
	DNSSearch         []string          `json:",omitempty"`
	DNSOptions        []string          `json:",omitempty"`
	GroupAdd          []string          `json:",omitempty"`
	IPC               string            `json:",omitempty"` // container:NAME already resolved
	PID               string            `json:",omitempty"`
	Platform          string            `json:",omitempty"` // os/arch[/variant]
	Runtime           string            `json:",omitempty"`
	Memory            int64             `json:",omitempty"`
	MemoryReservation int64             `json:",omitempty"`
	MemorySwap        int64             `json:",omitempty"`
	NanoCPUs          int64             `json:",omitempty"`
	CPUShares         int64             `json:",omitempty"`
	CpusetCpus        string            `json:",omitempty"`
	PidsLimit         *int64            `json:",omitempty"`
	OomScoreAdj       int               `json:",omitempty"`
	LogDriver         string            `json:",omitempty"`
	LogOptions        map[string]string `json:",omitempty"`
	Domainname        string            `json:",omitempty"`
	MacAddress        string            `json:",omitempty"`
	Annotations       map[string]string `json:",omitempty"` // applied with engine API 1.43 and later
}

// Ulimit is one resource limit of the container.
type Ulimit struct {
	Name       string
	Soft, Hard int64
}

// Clone returns a deep copy (nil for nil).
func (r *RuntimeSpec) Clone() *RuntimeSpec {
	if r == nil {
		return nil
	}
	c := *r
	for _, l := range []*[]string{&c.Expose, &c.CapAdd, &c.CapDrop, &c.SecurityOpt, &c.Devices,
		&c.DNS, &c.DNSSearch, &c.DNSOptions, &c.GroupAdd} {
		*l = slices.Clone(*l)
	}
	c.Sysctls, c.LogOptions, c.Annotations = maps.Clone(c.Sysctls), maps.Clone(c.LogOptions), maps.Clone(c.Annotations)
	c.Ulimits = slices.Clone(c.Ulimits)
	return &c
}

// applyRuntime puts r into the create documents.
func applyRuntime(cfg *container.Config, host *container.HostConfig, r *RuntimeSpec) error {
	if r == nil {
		return nil
	}
	if err := exposePorts(cfg, r.Expose); err != nil {
		return err
	}
	devices, err := deviceMappings(r.Devices)
	if err != nil {
		return err
	}
	cfg.Tty, cfg.OpenStdin, cfg.StopSignal, cfg.StopTimeout = r.TTY, r.StdinOpen, r.StopSignal, r.StopTimeout
	cfg.StdinOnce = r.StdinOnce
	cfg.Domainname = r.Domainname
	//lint:ignore SA1019 engines before API 1.44 take the address only here; later ones still read it
	cfg.MacAddress = r.MacAddress
	host.CapAdd, host.CapDrop, host.Sysctls, host.ShmSize = r.CapAdd, r.CapDrop, r.Sysctls, r.ShmSize
	host.Init, host.Privileged, host.ReadonlyRootfs, host.SecurityOpt = r.Init, r.Privileged, r.ReadOnly, r.SecurityOpt
	host.DNS, host.DNSSearch, host.DNSOptions, host.GroupAdd = r.DNS, r.DNSSearch, r.DNSOptions, r.GroupAdd
	host.IpcMode, host.PidMode, host.Runtime = container.IpcMode(r.IPC), container.PidMode(r.PID), r.Runtime
	host.Memory, host.MemoryReservation, host.MemorySwap = r.Memory, r.MemoryReservation, r.MemorySwap
	host.NanoCPUs, host.CPUShares, host.CpusetCpus = r.NanoCPUs, r.CPUShares, r.CpusetCpus
	host.PidsLimit, host.OomScoreAdj, host.Devices = r.PidsLimit, r.OomScoreAdj, devices
	host.LogConfig = container.LogConfig{Type: r.LogDriver, Config: r.LogOptions}
	host.Annotations = r.Annotations
	for _, u := range r.Ulimits {
		host.Ulimits = append(host.Ulimits, &units.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	return nil
}

// exposePorts adds expose: entries (ranges expanded) to the exposed ports.
func exposePorts(cfg *container.Config, expose []string) error {
	for _, e := range expose {
		proto, ports := nat.SplitProtoPort(e)
		lo, hi, err := nat.ParsePortRange(ports)
		if err != nil {
			return fmt.Errorf("expose %q: %w", e, err)
		}
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = nat.PortSet{}
		}
		for p := lo; p <= hi; p++ {
			cfg.ExposedPorts[nat.Port(strconv.FormatUint(p, 10)+"/"+proto)] = struct{}{}
		}
	}
	return nil
}

// deviceMappings parses HOST[:CONTAINER[:PERMISSIONS]].
func deviceMappings(devices []string) ([]container.DeviceMapping, error) {
	var out []container.DeviceMapping
	for _, d := range devices {
		parts := strings.Split(d, ":")
		m := container.DeviceMapping{PathOnHost: parts[0], PathInContainer: parts[0], CgroupPermissions: "rwm"}
		switch len(parts) {
		case 3:
			m.CgroupPermissions = parts[2]
			fallthrough
		case 2:
			m.PathInContainer = parts[1]
		case 1:
		default:
			return nil, fmt.Errorf("device %q: want HOST[:CONTAINER[:PERMISSIONS]]", d)
		}
		out = append(out, m)
	}
	return out, nil
}

// platformOf parses the spec's platform for the create call; nil when unset.
func platformOf(r *RuntimeSpec) *ocispec.Platform {
	if r == nil || r.Platform == "" {
		return nil
	}
	parts := strings.SplitN(r.Platform, "/", 3)
	p := &ocispec.Platform{OS: parts[0]}
	if len(parts) > 1 {
		p.Architecture = parts[1]
	}
	if len(parts) > 2 {
		p.Variant = parts[2]
	}
	return p
}

// entrypoint maps an empty, non-nil entrypoint to the engine's way of
// clearing the image's: one empty string. nil keeps the image's.
func entrypoint(ep []string) []string {
	if ep != nil && len(ep) == 0 {
		return []string{""}
	}
	return ep
}

// StartIntervalAPI is the first engine API version that takes a health
// check's start interval; older engines refuse a container that has one,
// so it is left out for them.
const StartIntervalAPI = "1.44"

// AnnotationsAPI is the first engine API version that takes annotations;
// older ones would ignore them, so they are left out and said so.
const AnnotationsAPI = "1.43"

// APIVersion is the engine API version negotiated with the engine, such as
// "1.41".
func (d *Docker) APIVersion() string { return d.cli.ClientVersion() }
