// Package images makes prebuilt images first-class: it pulls them through the
// Docker Engine in parallel with aggregated progress, with registry
// credentials found the way the docker CLI finds them, classifies pull
// failures in words, resolves tags to digests, and reads and writes the digest
// lock file (envs.lock). It never prints: progress is reported as Events.
package images

import (
	"context"
	"io"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/client"
)

// Client is the part of the Docker Engine API this package uses;
// *client.Client from github.com/docker/docker/client satisfies it.
type Client interface {
	ImagePull(ctx context.Context, ref string, options image.PullOptions) (io.ReadCloser, error)
	ImageInspect(ctx context.Context, imageID string, opts ...client.ImageInspectOption) (image.InspectResponse, error)
	DistributionInspect(ctx context.Context, ref, encodedRegistryAuth string) (registry.DistributionInspect, error)
	Info(ctx context.Context) (system.Info, error)
}

// Request is one image to pull and the services that use it.
type Request struct {
	Ref      string   // full reference, as envs.yaml resolves it (registry prefix applied); may carry @digest
	Services []string // services using it, for messages
}

// Result is a pulled (or already present) image.
type Result struct {
	ImageID string // sha256:… of the local image
	Digest  string // repository digest (sha256:…) the registry served, when known
}

// Status is the state of one image's pull.
type Status string

// Statuses of Events.
const (
	StatusWaiting     Status = "waiting"     // queued behind the concurrency limit
	StatusPulling     Status = "pulling"     // resolving / started
	StatusDownloading Status = "downloading" // bytes moving (emitted at most every 100 ms per image)
	StatusExtracting  Status = "extracting"
	StatusPulled      Status = "pulled"     // done, new content
	StatusUpToDate    Status = "up-to-date" // done, nothing new
	StatusFailed      Status = "failed"
)

// Event is the aggregated progress of one image.
type Event struct {
	Time       time.Time `json:"time"`
	Image      string    `json:"image"`
	Services   []string  `json:"services,omitempty"`
	Status     Status    `json:"status"`
	Layers     int       `json:"layers,omitempty"`      // layers known so far
	LayersDone int       `json:"layers_done,omitempty"` // downloaded and extracted, or already present
	Current    int64     `json:"current,omitempty"`     // bytes downloaded so far, over all layers
	Total      int64     `json:"total,omitempty"`       // bytes to download, over layers whose size is known
	Error      string    `json:"error,omitempty"`
}

// Reporter receives events; it is called from several goroutines.
type Reporter interface{ ReportPull(Event) }
