package env

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"sort"
	"strings"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// labelsVersion is written on every object; bump it when the meaning of the
// labels or of the config hash changes.
const labelsVersion = "1"

// Desired is the state a project should reach for a set of selected services.
type Desired struct {
	Project  string
	Network  string            // engine name of the project network
	Volumes  []string          // engine names of named volumes the selected services use, sorted
	Services []DesiredService  // selected services, sorted by name
	Known    map[string]bool   // every service of the configuration (selected or not)
	Labels   map[string]string // labels of the network and volumes
	// Declared networks and volumes (resources.go): the project's own
	// networks the services use, sorted by name, the volumes' settings by
	// engine name, and the external objects that must already exist.
	Networks         []DesiredNetwork
	VolumeSpecs      map[string]engine.VolumeSpec
	ExternalNetworks []string
	ExternalVolumes  []string
}

// DesiredService is one selected service in its engine form.
type DesiredService struct {
	Name    string
	Spec    engine.ContainerSpec
	Hash    string // LabelConfigHash value: the spec and the image ID
	ImageID string
	Deps    map[string]config.Condition
	Health  *config.Healthcheck // declared health check, nil if none
	// OneShot is true when some dependant waits for this service to complete.
	OneShot bool
}

// NetworkName is the engine name of a project's network.
func NetworkName(project string) string { return project + "_default" }

// VolumeName is the engine name of a project's named volume.
func VolumeName(project, volume string) string { return project + "_" + volume }

// ContainerName is the engine name of a service's container.
func ContainerName(project, service string) string { return project + "-" + service }

// BuildDesired computes the desired state of selected services. imageIDs maps
// each service's image reference to the local image ID it resolves to.
func BuildDesired(p *config.Project, selected []string, imageIDs map[string]string) Desired {
	d := Desired{
		Project: p.Name,
		Network: defaultNetworkName(p),
		Known:   map[string]bool{},
		Labels:  map[string]string{engine.LabelProject: p.Name, engine.LabelVersion: labelsVersion},
	}
	for name := range p.Services {
		d.Known[name] = true
	}
	oneShot := map[string]bool{}
	for _, s := range p.Services {
		for dep, c := range s.DependsOn {
			if c.Condition == config.ServiceCompletedSuccessfully {
				oneShot[dep] = true
			}
		}
	}
	for _, name := range selected {
		s := p.Services[name]
		ds := DesiredService{
			Name:    name,
			ImageID: imageIDs[s.Image],
			Deps:    map[string]config.Condition{},
			Health:  s.Healthcheck,
			OneShot: oneShot[name],
		}
		for dep, c := range s.DependsOn {
			if c.Optional && !slices.Contains(selected, dep) {
				continue // required: false, and not brought up (its profile is off)
			}
			ds.Deps[dep] = c.Condition
		}
		ds.Spec = containerSpec(p, s, ds.ImageID)
		applySettings(&ds, p, s)
		ds.Hash = specHash(ds.Spec)
		ds.Spec.Labels[engine.LabelConfigHash] = ds.Hash
		d.Services = append(d.Services, ds)
	}
	sort.Slice(d.Services, func(i, j int) bool { return d.Services[i].Name < d.Services[j].Name })
	desiredResources(&d, p, selected)
	shareHashes(&d, p)
	return d
}

func containerSpec(p *config.Project, s *config.Service, imageID string) engine.ContainerSpec {
	project := p.Name
	spec := engine.ContainerSpec{
		Name:       ContainerName(project, s.Name),
		Image:      s.Image,
		Command:    s.Command,
		Entrypoint: s.Entrypoint,
		WorkingDir: s.WorkingDir,
		User:       s.User,
		Hostname:   s.Hostname,
		ExtraHosts: s.ExtraHosts,
		Restart:    s.Restart,
		Network:    NetworkName(project),
		Aliases:    append([]string{s.Name}, s.Aliases...),
		Labels:     map[string]string{},
	}
	for k, v := range s.Labels {
		spec.Labels[k] = v
	}
	// devenv's own labels win: they are how it finds its containers.
	spec.Labels[engine.LabelProject] = project
	spec.Labels[engine.LabelService] = s.Name
	spec.Labels[engine.LabelImageID] = imageID
	spec.Labels[engine.LabelVersion] = labelsVersion
	if deps := sortedDeps(s.DependsOn); deps != "" {
		spec.Labels[engine.LabelDependsOn] = deps // lets down stop dependants first, without envs.yaml
	}
	for k, v := range s.Environment {
		spec.Env = append(spec.Env, k+"="+v)
	}
	sort.Strings(spec.Env)
	for _, pt := range s.Ports {
		spec.Ports = append(spec.Ports, engine.PublishedPort{
			HostIP: pt.HostIP, HostPort: pt.HostPort, ContainerPort: pt.ContainerPort, Protocol: pt.Protocol,
		})
	}
	specMounts(&spec, p, s)
	specNetworking(&spec, p, s)
	spec.Healthcheck = healthSpec(s.Healthcheck)
	return spec
}

func healthSpec(h *config.Healthcheck) *engine.HealthSpec {
	if h == nil {
		return nil
	}
	if h.Disable {
		return &engine.HealthSpec{Test: []string{"NONE"}}
	}
	return &engine.HealthSpec{
		Test: h.Test, Interval: h.Interval, Timeout: h.Timeout,
		StartPeriod: h.StartPeriod, Retries: h.Retries,
	}
}

// specHash is a stable digest of everything that, when changed, requires a new
// container. The image ID is part of it through the image-id label.
func specHash(spec engine.ContainerSpec) string {
	b, err := json.Marshal(spec) // maps marshal with sorted keys
	if err != nil {
		panic("env: hashing a container spec: " + err.Error()) // plain data cannot fail to marshal
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16]
}

func sortedDeps(deps map[string]config.Dependency) string {
	names := make([]string, 0, len(deps))
	for n := range deps {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}
