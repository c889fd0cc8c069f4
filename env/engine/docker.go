package engine

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/docker/docker/client"
)

// Docker is the Engine backed by the Docker Engine API.
//
// It is safe for concurrent use. Close releases its connections.
type Docker struct {
	cli *client.Client // non-nil

	clock struct {
		sync.Mutex
		known  bool          // guarded by Mutex
		offset time.Duration // engine clock minus local clock; guarded by Mutex
		slack  time.Duration // uncertainty of offset (half a round trip); guarded by Mutex
	}
}

var _ Engine = (*Docker)(nil)

// NewDocker connects to the Docker Engine the usual way: DOCKER_HOST,
// DOCKER_TLS_VERIFY, DOCKER_CERT_PATH and DOCKER_API_VERSION are honoured; when
// DOCKER_HOST is unset, the docker CLI's current context (DOCKER_CONTEXT, or
// currentContext in $DOCKER_CONFIG/config.json) selects the engine.
//
// The API version is negotiated with ctx. NewDocker does not fail when the
// engine is down (Ping tells that); it fails on a configuration it cannot use.
func NewDocker(ctx context.Context) (*Docker, error) {
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if os.Getenv("DOCKER_HOST") == "" {
		ep, err := currentContextEndpoint()
		if err != nil {
			return nil, fmt.Errorf("reading the docker CLI context: %w", err)
		}
		opts = append(opts, ep.opts()...)
	}
	cli, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("configuring the Docker client: %w", err)
	}
	cli.NegotiateAPIVersion(ctx)
	return &Docker{cli: cli}, nil
}

// Host is the address of the engine, such as unix:///var/run/docker.sock.
func (d *Docker) Host() string { return d.cli.DaemonHost() }

// Close releases the client's idle connections.
func (d *Docker) Close() error { return d.cli.Close() }

// Ping checks the engine answers.
func (d *Docker) Ping(ctx context.Context) error {
	if _, err := d.cli.Ping(ctx); err != nil {
		return fmt.Errorf("pinging the engine: %w", d.mapErr(err, ErrNotFound))
	}
	return nil
}

// engineNow returns a time that is, on the engine's clock, no later than the
// moment engineNow was called. The first call measures the offset between the
// local and the engine clock (engines in VMs may drift); later calls reuse it.
func (d *Docker) engineNow(ctx context.Context) (time.Time, error) {
	now := time.Now()
	d.clock.Lock()
	defer d.clock.Unlock()
	if !d.clock.known {
		if err := d.measureClockLocked(ctx); err != nil {
			return time.Time{}, err
		}
	}
	return now.Add(d.clock.offset - d.clock.slack), nil
}

// measureClockLocked asks the engine its time. d.clock must be held.
func (d *Docker) measureClockLocked(ctx context.Context) error {
	sent := time.Now()
	info, err := d.cli.Info(ctx)
	if err != nil {
		return fmt.Errorf("reading the engine clock: %w", d.mapErr(err, ErrNotFound))
	}
	rtt := time.Since(sent)
	engine, err := time.Parse(time.RFC3339Nano, info.SystemTime)
	if err != nil {
		return fmt.Errorf("reading the engine clock: %q: %w", info.SystemTime, err)
	}
	d.clock.offset = engine.Sub(sent.Add(rtt / 2))
	d.clock.slack = rtt/2 + time.Millisecond
	d.clock.known = true
	return nil
}

// Client is the underlying Docker API client, for packages (images) that
// speak to the engine through their own narrow interface.
func (d *Docker) Client() *client.Client { return d.cli }
