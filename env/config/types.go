// Package config owns envs.yaml: it parses the file with position information,
// interpolates ${VAR} references from the process environment and a .env file,
// validates every field, and resolves named environments to sets of services.
// It is pure: it never talks to Docker and never prints.
package config

import "time"

// DefaultFile is the name looked for when no file is given.
const DefaultFile = "envs.yaml"

// DefaultEnvironment is the environment `devenv up` brings up when none is named.
const DefaultEnvironment = "default"

// Project is a fully loaded, interpolated and validated envs.yaml.
type Project struct {
	Name         string              // project name; containers are named <Name>-<service>
	File         string              // absolute path of the envs.yaml it came from
	Dir          string              // directory of File; relative paths resolve against it
	Registry     string              // prefix already applied to Service.Image where needed
	Environments map[string][]string // environment name -> services named in it (not expanded)
	Services     map[string]*Service // by service name
	Files        []string            // absolute paths of every file merged, in order; File is the first
	Profiles     []string            // enabled profiles (--profile, COMPOSE_PROFILES), sorted; "*" is all
	// Top-level volumes:, networks:, secrets: and configs:, by key (see
	// resources.go). Empty maps when the file declares none.
	Volumes  map[string]*Volume
	Networks map[string]*Network
	Secrets  map[string]*FileObject
	Configs  map[string]*FileObject
	// Warnings name keys that were accepted but cannot apply to a local
	// engine, each with its position; the caller shows them (once, on
	// standard error) and goes on. Empty for most files.
	Warnings ErrorList
}

// Service is one entry under services:. Every field is in its effective form:
// interpolated, defaults applied, relative paths made absolute, env_file merged.
type Service struct {
	Name        string
	Image       string            // full reference, with the project registry prefix applied
	Build       *Build            // nil: the image is pulled; else built and tagged Image
	Develop     *Develop          // develop: (watch rules); nil when absent (develop.go)
	PullPolicy  string            // missing (default), always, never
	Command     []string          // nil: the image's default
	Entrypoint  []string          // nil: the image's default
	Environment map[string]string // env_file entries first, environment: overrides
	WorkingDir  string
	User        string
	Hostname    string
	Labels      map[string]string
	ExtraHosts  []string // "host:ip"
	Ports       []Port
	Volumes     []Mount
	Healthcheck *Healthcheck // nil: none declared (the image's own may still apply)
	DependsOn   map[string]Dependency
	Restart     string   // no (default), always, on-failure[:N], unless-stopped
	Aliases     []string // extra DNS names on the project network
	// Networks, network_mode, links, secrets and configs (resources.go).
	Networks    []NetworkAttachment // nil: the project's default network only
	NetworkMode string              // "", host, none, service:NAME or container:NAME
	Links       []string            // SERVICE[:ALIAS]
	Secrets     []FileRef
	Configs     []FileRef
	Profiles    []string // selected only when one is enabled or the service is named (Project.Active)

	ContainerSettings // container_name, capabilities, limits, resources… (service_runtime.go)
}

// Port is one published port. Ranges in the file are expanded to one Port each.
type Port struct {
	HostIP        string // "" means all interfaces
	HostPort      uint16 // 0 means an ephemeral port chosen by the engine
	ContainerPort uint16
	Protocol      string // tcp or udp
}

// MountType says what a Mount's Source is.
type MountType string

const (
	MountVolume MountType = "volume" // a named volume owned by the project
	MountBind   MountType = "bind"   // a host path (absolute after loading)
	MountTmpfs  MountType = "tmpfs"  // a tmpfs (Source is empty)
)

// Mount is one entry of volumes:.
type Mount struct {
	Type     MountType
	Source   string // volume key (unprefixed; "" for an anonymous volume) or absolute host path
	Target   string // absolute path inside the container
	ReadOnly bool
	// Options of the long syntax and of short-syntax modes (volumes.go).
	CreateHostPath bool   // bind: create a missing source (the short syntax always does)
	SELinux        string // bind: "", z (shared) or Z (private) relabeling
	Propagation    string // bind: "", private, rprivate, shared, rshared, slave or rslave
	NoCopy         bool   // volume: do not copy the image's content into a new volume
	Subpath        string // volume: mount this path inside the volume
	TmpfsSize      int64  // tmpfs: bytes; 0 is the engine's default
	TmpfsMode      uint32 // tmpfs: permission bits; 0 is the engine's default
}

// Healthcheck mirrors compose's healthcheck: block with durations parsed.
type Healthcheck struct {
	Test        []string // "CMD", args… or "CMD-SHELL", script; empty with Disable
	Interval    time.Duration
	Timeout     time.Duration
	StartPeriod time.Duration
	Retries     int
	Disable     bool

	StartInterval time.Duration // probe interval during StartPeriod; 0: the engine's (API 1.44+)
}

// Condition is what a dependant waits for before it starts.
type Condition string

const (
	ServiceStarted               Condition = "service_started"
	ServiceHealthy               Condition = "service_healthy"
	ServiceCompletedSuccessfully Condition = "service_completed_successfully"
)

// Dependency is one entry of depends_on.
type Dependency struct {
	Condition Condition

	Restart  bool // restart: true; restarting the dependency restarts this service
	Optional bool // required: false; left out when the dependency is not declared
}
