package images

import (
	"context"
	"io"
	"sync"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/devenv-dev/devenv/internal/registrytest"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// engine returns a client of the local Docker Engine. Tests that need it
// are skipped with -short and fail when the engine does not answer.
func engine(t *testing.T) *client.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a Docker Engine; skipped with -short")
	}
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatalf("docker client: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	if _, err := cli.Ping(t.Context()); err != nil {
		t.Fatalf("the Docker Engine does not answer (run the tests with -short to skip it): %v", err)
	}
	return cli
}

// removeImages removes, when the test ends, every image ref names that the
// test may have pulled, and the images with the given ids.
func removeImages(t *testing.T, cli *client.Client, refs ...string) {
	t.Helper()
	t.Cleanup(func() {
		for _, ref := range refs {
			_, err := cli.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true, PruneChildren: true})
			if err != nil && !cerrdefs.IsNotFound(err) {
				t.Errorf("removing %s: %v", ref, err)
			}
		}
	})
}

// startRegistry starts a registry for the test.
func startRegistry(t *testing.T, opts registrytest.Options) *registrytest.Registry {
	t.Helper()
	r, err := registrytest.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// push pushes img as repoTag and returns the full ref and digest.
func push(t *testing.T, r *registrytest.Registry, repoTag string, img v1.Image) (string, string) {
	t.Helper()
	d, err := r.Push(repoTag, img)
	if err != nil {
		t.Fatal(err)
	}
	return r.Ref(repoTag), d
}

func newImage(t *testing.T, layers int, size int64, shared ...v1.Layer) v1.Image {
	t.Helper()
	img, err := registrytest.Image(layers, size, shared...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// events records Events.
type events struct {
	mu   sync.Mutex
	list []Event // guarded by mu
}

func (r *events) ReportPull(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, e)
}

func (r *events) of(image string) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, e := range r.list {
		if e.Image == image {
			out = append(out, e)
		}
	}
	return out
}

// countingClient counts the pulls in flight: from ImagePull until its body
// is closed.
type countingClient struct {
	Client
	mu      sync.Mutex
	running int // guarded by mu
	most    int // guarded by mu
}

func (c *countingClient) ImagePull(ctx context.Context, ref string, o image.PullOptions) (io.ReadCloser, error) {
	c.add(1)
	body, err := c.Client.ImagePull(ctx, ref, o)
	if err != nil {
		c.add(-1)
		return nil, err
	}
	return &countedBody{ReadCloser: body, c: c}, nil
}

func (c *countingClient) add(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running += n
	c.most = max(c.most, c.running)
}

type countedBody struct {
	io.ReadCloser
	once sync.Once
	c    *countingClient
}

func (b *countedBody) Close() error {
	b.once.Do(func() { b.c.add(-1) })
	return b.ReadCloser.Close()
}
