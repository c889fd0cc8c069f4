package env

import (
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// LabelStopGracePeriod holds a service's stop_grace_period on its container,
// so that down, stop and restart honour it without envs.yaml.
const LabelStopGracePeriod = "dev.devenv.stop-grace-period"

// applySettings puts the service's container settings into spec and ds:
// its container_name, the RuntimeSpec, the stop grace period label, and the
// services whose namespaces it joins as dependencies.
func applySettings(ds *DesiredService, p *config.Project, s *config.Service) {
	spec := &ds.Spec
	if s.ContainerName != "" {
		spec.Name = s.ContainerName
	}
	if spec.Healthcheck != nil && s.Healthcheck != nil {
		spec.Healthcheck.StartInterval = s.Healthcheck.StartInterval
	}
	if s.StopGracePeriod != nil {
		spec.Labels[LabelStopGracePeriod] = s.StopGracePeriod.String()
	}
	r := runtimeSpec(&s.ContainerSettings)
	for _, ns := range []*string{&r.IPC, &r.PID} {
		name, ok := strings.CutPrefix(*ns, "service:")
		if other := p.Services[name]; ok && other != nil {
			*ns = "container:" + containerNameOf(p.Name, other)
			if _, dep := ds.Deps[name]; !dep && name != s.Name {
				ds.Deps[name] = config.ServiceStarted
			}
		}
	}
	// A service without settings keeps a nil Runtime, and so the config
	// hash it had before they existed.
	if !reflect.DeepEqual(*r, engine.RuntimeSpec{}) {
		spec.Runtime = r
	}
}

// containerNameOf is the engine name of a service's container.
func containerNameOf(project string, s *config.Service) string {
	if s.ContainerName != "" {
		return s.ContainerName
	}
	return ContainerName(project, s.Name)
}

func runtimeSpec(c *config.ContainerSettings) *engine.RuntimeSpec {
	r := &engine.RuntimeSpec{
		Expose: c.Expose, CapAdd: c.CapAdd, CapDrop: c.CapDrop, Sysctls: c.Sysctls, ShmSize: c.ShmSize,
		Init: c.Init, TTY: c.TTY, StdinOpen: c.StdinOpen, StopSignal: c.StopSignal,
		Privileged: c.Privileged, ReadOnly: c.ReadOnly, SecurityOpt: c.SecurityOpt, Devices: c.Devices,
		DNS: c.DNS, DNSSearch: c.DNSSearch, DNSOptions: c.DNSOpt, GroupAdd: c.GroupAdd,
		IPC: c.IPC, PID: c.PID, Platform: c.Platform, Runtime: c.OCIRuntime,
		Memory: c.MemLimit, MemoryReservation: c.MemReservation, MemorySwap: c.MemswapLimit,
		NanoCPUs: c.NanoCPUs, CPUShares: c.CPUShares, CpusetCpus: c.Cpuset, PidsLimit: c.PidsLimit,
		OomScoreAdj: c.OomScoreAdj, Domainname: c.Domainname, MacAddress: c.MacAddress, Annotations: c.Annotations,
	}
	if c.StopGracePeriod != nil {
		secs := int((*c.StopGracePeriod + time.Second - 1) / time.Second)
		r.StopTimeout = &secs
	}
	if c.Logging != nil {
		r.LogDriver, r.LogOptions = c.Logging.Driver, c.Logging.Options
	}
	for _, name := range sortedNames(c.Ulimits) {
		u := c.Ulimits[name]
		r.Ulimits = append(r.Ulimits, engine.Ulimit{Name: name, Soft: u.Soft, Hard: u.Hard})
	}
	return r
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
