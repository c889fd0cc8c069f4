package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/volume"
)

// NetworkCreate creates a bridge network. An existing network of that name
// gives ErrConflict (the engine is asked to check for duplicates where its
// API version still allows it; newer engines always do).
func (d *Docker) NetworkCreate(ctx context.Context, spec NetworkSpec) (string, error) {
	resp, err := d.cli.NetworkCreate(ctx, spec.Name, networkCreateOptions(spec))
	if err != nil {
		return "", fmt.Errorf("creating network %s: %w", spec.Name, d.mapErr(err, ErrNotFound))
	}
	return resp.ID, nil
}

// NetworkRemove removes a network by ID or name. One a running container is
// attached to gives ErrConflict: the engine refuses it as forbidden.
func (d *Docker) NetworkRemove(ctx context.Context, id string) error {
	err := d.cli.NetworkRemove(ctx, id)
	if cerrdefs.IsPermissionDenied(err) {
		return fmt.Errorf("removing network %s: %w: %w", id, ErrConflict, err)
	}
	if err != nil {
		return fmt.Errorf("removing network %s: %w", id, d.mapErr(err, ErrNotFound))
	}
	return nil
}

// VolumeCreate creates a local named volume. The engine returns an existing
// volume of that name instead of failing.
func (d *Docker) VolumeCreate(ctx context.Context, spec VolumeSpec) error {
	_, err := d.cli.VolumeCreate(ctx, volume.CreateOptions{Name: spec.Name, Labels: spec.Labels, Driver: spec.Driver, DriverOpts: spec.DriverOpts})
	if err != nil {
		return fmt.Errorf("creating volume %s: %w", spec.Name, d.mapErr(err, ErrNotFound))
	}
	return nil
}

// VolumeRemove removes a named volume; one still in use gives ErrConflict.
func (d *Docker) VolumeRemove(ctx context.Context, name string) error {
	if err := d.cli.VolumeRemove(ctx, name, false); err != nil {
		return fmt.Errorf("removing volume %s: %w", name, d.mapErr(err, ErrNotFound))
	}
	return nil
}

// ImageInspect reads a locally present image.
func (d *Docker) ImageInspect(ctx context.Context, ref string) (Image, error) {
	resp, err := d.cli.ImageInspect(ctx, ref)
	if err != nil {
		return Image{}, fmt.Errorf("inspecting image %s: %w", ref, d.mapErr(err, ErrImageNotFound))
	}
	img := Image{ID: resp.ID, RepoDigests: resp.RepoDigests, RepoTags: resp.RepoTags, Size: resp.Size}
	if resp.Config != nil {
		img.Labels = resp.Config.Labels
	}
	return img, nil
}

// ImagePull pulls ref and returns when the engine has finished, with the
// engine's error if the pull failed part way. Registry credentials are not
// sent yet.
func (d *Docker) ImagePull(ctx context.Context, ref string) error {
	body, err := d.cli.ImagePull(ctx, ref, image.PullOptions{})
	if err != nil {
		return fmt.Errorf("pulling image %s: %w", ref, d.mapErr(err, ErrImageNotFound))
	}
	defer body.Close()
	stop := context.AfterFunc(ctx, func() { body.Close() })
	defer stop()
	if err := drainPull(body); err != nil {
		if ctx.Err() != nil {
			err = context.Cause(ctx)
		}
		return fmt.Errorf("pulling image %s: %w", ref, err)
	}
	return nil
}

// pullMessage is the part of the engine's JSON progress messages that
// matters here.
type pullMessage struct {
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
}

// drainPull reads a pull's progress stream to its end and returns the first
// error message in it.
func drainPull(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var m pullMessage
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading progress: %w", err)
		}
		if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
			return errors.New(m.ErrorDetail.Message)
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
	}
}
