// Package engine is the narrow surface of the Docker Engine that package env
// needs: observing a project's objects by label, creating and removing them,
// the event stream, logs and exec. Docker owns a project's state; this package
// only names the labels it is found by and maps engine errors to sentinels.
package engine

import (
	"context"
	"errors"
	"io"
	"time"
)

// Labels put on every object devenv creates.
const (
	LabelProject    = "dev.devenv.project"
	LabelService    = "dev.devenv.service"
	LabelConfigHash = "dev.devenv.config-hash"
	LabelImageID    = "dev.devenv.image-id"
	LabelVolume     = "dev.devenv.volume"     // unprefixed volume name
	LabelVersion    = "dev.devenv.version"    // format version of the labels
	LabelDependsOn  = "dev.devenv.depends-on" // services it depends on, comma-separated
	LabelBuildHash  = "dev.devenv.build-hash" // on a built image: the hash of its build inputs
	// LabelConfigFiles is the absolute paths of the project's files, comma
	// separated, for ls; set outside the config hash.
	LabelConfigFiles = "dev.devenv.config-files"
)

// Sentinel errors. Implementations wrap them so callers can use errors.Is.
var (
	ErrNotFound      = errors.New("not found")
	ErrConflict      = errors.New("conflict")
	ErrUnreachable   = errors.New("docker engine not reachable")
	ErrImageNotFound = errors.New("image not found")
)

// Engine is what env needs from a container engine. The real one talks to the
// Docker Engine API; tests use a hand-written fake.
type Engine interface {
	// Ping checks the engine answers; errors wrap ErrUnreachable.
	Ping(ctx context.Context) error
	// Observe lists, in one pass, every container (running or not), network and
	// volume labelled with project.
	Observe(ctx context.Context, project string) (*Observed, error)
	// AllContainers lists every container on the engine (for port conflicts).
	AllContainers(ctx context.Context) ([]Container, error)

	ImageInspect(ctx context.Context, ref string) (Image, error) // ErrImageNotFound if absent locally
	ImagePull(ctx context.Context, ref string) error
	// ImageBuild builds an image, passing each line of the build's output
	// to progress (when not nil), and returns its ID; a failed step gives a
	// *BuildError.
	ImageBuild(ctx context.Context, spec BuildSpec, progress func(line string)) (imageID string, err error)

	NetworkCreate(ctx context.Context, spec NetworkSpec) (id string, err error)
	NetworkRemove(ctx context.Context, id string) error
	VolumeCreate(ctx context.Context, spec VolumeSpec) error
	VolumeRemove(ctx context.Context, name string) error
	// NetworkInspect and VolumeInspect find an object by name whatever its
	// labels (external ones have none); ErrNotFound when there is none.
	NetworkInspect(ctx context.Context, name string) (Network, error)
	VolumeInspect(ctx context.Context, name string) (Volume, error)

	ContainerCreate(ctx context.Context, spec ContainerSpec) (id string, err error)
	ContainerStart(ctx context.Context, id string) error
	ContainerStop(ctx context.Context, id string, timeout time.Duration) error
	ContainerRemove(ctx context.Context, id string) error // forced; ErrNotFound is fine to ignore
	ContainerInspect(ctx context.Context, id string) (Container, error)
	// Pause, unpause, kill and delete (control.go): a container in the
	// wrong state for the call gives ErrConflict.
	ContainerPause(ctx context.Context, id string) error
	ContainerUnpause(ctx context.Context, id string) error
	ContainerKill(ctx context.Context, id, signal string) error
	ContainerDelete(ctx context.Context, id string, volumes bool) error
	ContainerTop(ctx context.Context, id string) (Processes, error)
	// Files out of a container, as tar archives (copy.go); CopyToContainer
	// puts them in.
	CopyFromContainer(ctx context.Context, id, path string) (io.ReadCloser, error)
	ContainerStatPath(ctx context.Context, id, path string) (isDir bool, err error)
	// ContainerRun starts a created container attached to the caller's
	// streams and returns its exit code once it has exited (run.go).
	ContainerRun(ctx context.Context, id string, opts ExecOptions) (exitCode int, err error)
	// ContainerExec runs cmd in a running container and returns its exit code
	// and combined output (truncated to a few KiB).
	ContainerExec(ctx context.Context, id string, cmd []string) (exitCode int, output string, err error)
	// ExecInteractive runs a command attached to the caller's streams and
	// returns its exit code.
	ExecInteractive(ctx context.Context, id string, opts ExecOptions) (exitCode int, err error)
	// CopyToContainer extracts a tar stream into a container's filesystem
	// at dir (which must exist there); ErrNotFound when there is no such
	// container.
	CopyToContainer(ctx context.Context, id, dir string, tar io.Reader) error
	// ContainerLogs streams the container's log, demultiplexed, one Line per line.
	ContainerLogs(ctx context.Context, id string, opts LogOptions) (<-chan LogLine, <-chan error)
	// Events streams container events of the project until ctx ends; the
	// error channel yields once when the stream breaks.
	Events(ctx context.Context, project string) (<-chan Event, <-chan error)
}

// Observed is one observation of a project.
type Observed struct {
	Containers []Container
	Networks   []Network
	Volumes    []Volume
}

// Container is what env needs to know of a container.
type Container struct {
	ID         string
	Name       string // without the leading slash
	Project    string // LabelProject
	Service    string // LabelService
	ConfigHash string // LabelConfigHash
	ImageID    string // the image ID the container runs
	State      string // created, running, paused, restarting, removing, exited, dead
	Health     string // "", starting, healthy, unhealthy
	ExitCode   int
	StartedAt  time.Time
	FinishedAt time.Time
	Ports      []PublishedPort
	Labels     map[string]string
	// HealthLog is the output of the most recent health probe, when known.
	HealthLog string
}

// PublishedPort is a port binding as the engine reports it.
type PublishedPort struct {
	HostIP        string
	HostPort      uint16
	ContainerPort uint16
	Protocol      string
}

// Image is a locally present image.
type Image struct {
	ID          string   // sha256:…
	RepoDigests []string // name@sha256:…
	Labels      map[string]string
	RepoTags    []string `json:",omitempty"` // name:tag, as tagged locally
	Size        int64    `json:",omitempty"` // bytes
}

// Network is a project network.
type Network struct {
	ID     string
	Name   string
	Labels map[string]string
}

// Volume is a project volume.
type Volume struct {
	Name   string
	Labels map[string]string
}

// NetworkSpec describes a network to create (a bridge unless Driver says).
type NetworkSpec struct {
	Name   string
	Labels map[string]string
	// Settings of a declared network (resources.go); zero for the default.
	Driver     string
	DriverOpts map[string]string
	Internal   bool
	Attachable bool
	EnableIPv6 bool
	IPAM       *IPAMSpec
}

// VolumeSpec describes a named volume to create.
type VolumeSpec struct {
	Name       string
	Labels     map[string]string
	Driver     string // "" is local
	DriverOpts map[string]string
}

// ContainerSpec is everything needed to create a container. It is also what
// env hashes to decide whether a container must be recreated, so it holds no
// volatile data.
type ContainerSpec struct {
	Name        string
	Image       string // reference or image ID to create from
	Command     []string
	Entrypoint  []string
	Env         []string // KEY=VALUE, sorted
	WorkingDir  string
	User        string
	Hostname    string
	Labels      map[string]string
	ExtraHosts  []string
	Ports       []PublishedPort
	Mounts      []MountSpec
	Healthcheck *HealthSpec
	Restart     string // no, always, on-failure[:N], unless-stopped
	Network     string // network name to attach to
	Aliases     []string
	Runtime     *RuntimeSpec `json:",omitempty"` // nil: the engine's defaults (create_runtime.go)
	// More networking and files (resources.go): the primary network's static
	// addresses and links, the networks connected after create, the
	// network mode replacing Network, and files copied in before start.
	// Left out of the hash when unset, so a container without them keeps
	// the hash it had before they existed.
	IPv4Address  string         `json:",omitempty"`
	IPv6Address  string         `json:",omitempty"`
	Links        []string       `json:",omitempty"` // CONTAINER:ALIAS on the primary network
	MoreNetworks []EndpointSpec `json:",omitempty"`
	NetworkMode  string         `json:",omitempty"` // host, none or container:NAME; Network is then ""
	Files        []FileSpec     `json:",omitempty"`
}

// MountSpec is a volume, bind or tmpfs mount.
type MountSpec struct {
	Type     string // volume, bind or tmpfs
	Source   string // engine volume name ("" anonymous) or absolute host path
	Target   string
	ReadOnly bool
	// Options (resources.go), each for one type; left out of the hash
	// when unset.
	CreateHostPath bool   `json:",omitempty"` // bind: create a missing source
	SELinux        string `json:",omitempty"` // bind: z or Z
	Propagation    string `json:",omitempty"` // bind
	NoCopy         bool   `json:",omitempty"` // volume
	Subpath        string `json:",omitempty"` // volume; needs API 1.45
	TmpfsSize      int64  `json:",omitempty"` // tmpfs, bytes
	TmpfsMode      uint32 `json:",omitempty"` // tmpfs, permission bits
}

// HealthSpec is the engine's health check configuration.
type HealthSpec struct {
	Test        []string // as the engine wants it: ["CMD", …], ["CMD-SHELL", "…"] or ["NONE"]
	Interval    time.Duration
	Timeout     time.Duration
	StartPeriod time.Duration
	Retries     int

	StartInterval time.Duration `json:",omitempty"` // applied with engine API 1.44 and later
}

// LogOptions selects what ContainerLogs streams.
type LogOptions struct {
	Follow     bool
	Tail       string // "all" or a number
	Since      time.Time
	Timestamps bool
}

// LogLine is one line of a container's output.
type LogLine struct {
	Stream string // stdout or stderr
	Text   string // without the trailing newline
	Time   time.Time
}

// Event is a container event of the engine.
type Event struct {
	ContainerID string
	Service     string
	Action      string // create, start, die, health_status, stop, destroy, …
	Health      string // for health_status: healthy or unhealthy
	ExitCode    int    // for die
	Time        time.Time
}

// ExecOptions configures an interactive exec (devenv exec).
type ExecOptions struct {
	Cmd        []string
	TTY        bool
	Env        []string
	User       string
	WorkingDir string
	Privileged bool      // extended privileges for this command
	Stdin      io.Reader // nil: no stdin
	Stdout     io.Writer
	Stderr     io.Writer // unused with TTY
	// Resize, when not nil, delivers terminal sizes (height, width) to apply.
	Resize <-chan [2]uint
}
