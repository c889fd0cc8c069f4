// Package imagebuildtest gives a test binary container images of its own.
// Each carries a label naming the run, which makes its ID the run's own, and
// a tag of the run's own: concurrent runs (go test runs packages in
// parallel, developers run tests beside CI) neither use nor remove each
// other's images, and Remove deletes every image of the run, also those
// pulled back from a test registry or left untagged.
package imagebuildtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/devenv-dev/devenv/internal/imagebuild"
)

// LabelRun is the image label holding the run's ID.
const LabelRun = "dev.devenv.test-run"

// labelName tells apart the images of one run.
const labelName = "dev.devenv.test-image"

// Run is one test binary's images. It is safe for concurrent use.
type Run struct {
	ID string // random; in every tag and in LabelRun of every image

	mu    sync.Mutex
	built map[string]*built // by name; guarded by mu
}

type built struct {
	once sync.Once
	img  v1.Image
	err  error
}

// New returns a run with a fresh ID.
func New() *Run {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return &Run{ID: hex.EncodeToString(b), built: map[string]*built{}}
}

// Ref is the run's tag for the image name: devenv-test-ID/NAME:1.
func (r *Run) Ref(name string) string { return "devenv-test-" + r.ID + "/" + name + ":1" }

// Options returns opts with the labels of the run's image name.
func (r *Run) Options(name string, opts imagebuild.ImageOptions) imagebuild.ImageOptions {
	labels := maps.Clone(opts.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[LabelRun], labels[labelName] = r.ID, name
	opts.Labels = labels
	return opts
}

// Image builds the Go main package pkg for the engine's architecture as the
// run's image name, once per run and name, and loads it as Ref(name). It
// returns the reference and the image (to push to a registry).
func (r *Run) Image(ctx context.Context, cli *client.Client, pkg, name string, opts imagebuild.ImageOptions) (string, v1.Image, error) {
	r.mu.Lock()
	b, ok := r.built[name]
	if !ok {
		b = &built{}
		r.built[name] = b
	}
	r.mu.Unlock()
	b.once.Do(func() { b.img, b.err = r.build(ctx, cli, pkg, name, opts) })
	return r.Ref(name), b.img, b.err
}

func (r *Run) build(ctx context.Context, cli *client.Client, pkg, name string, opts imagebuild.ImageOptions) (v1.Image, error) {
	arch, err := imagebuild.EngineArch(ctx, cli)
	if err != nil {
		return nil, err
	}
	bin, err := imagebuild.GoBinary(ctx, pkg, arch)
	if err != nil {
		return nil, err
	}
	opts.Arch = arch
	img, err := imagebuild.Image(bin, r.Options(name, opts))
	if err != nil {
		return nil, err
	}
	if err := imagebuild.Load(ctx, cli, img, r.Ref(name)); err != nil {
		return nil, err
	}
	return img, nil
}

// Testsvc is Image of examples/testsvc with no options, named testsvc.
func (r *Run) Testsvc(ctx context.Context, cli *client.Client) (string, error) {
	ref, _, err := r.Image(ctx, cli, "./examples/testsvc", "testsvc", imagebuild.ImageOptions{})
	return ref, err
}

// Remove deletes every image labelled with the run. Call it once the
// containers using them are gone: the engine keeps an image a container
// uses.
func (r *Run) Remove(ctx context.Context, cli *client.Client) error {
	list, err := cli.ImageList(ctx, image.ListOptions{
		All: true, Filters: filters.NewArgs(filters.Arg("label", LabelRun+"="+r.ID)),
	})
	if err != nil {
		return fmt.Errorf("listing the images of test run %s: %w", r.ID, err)
	}
	var errs []error
	for _, img := range list {
		_, err := cli.ImageRemove(ctx, img.ID, image.RemoveOptions{Force: true, PruneChildren: true})
		if err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("removing test image %s: %w", img.ID, err))
		}
	}
	return errors.Join(errs...)
}
