package engine_test

import (
	"context"
	"errors"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"

	"github.com/devenv-dev/devenv/env/engine"
)

// removeBuilt removes the images the conformance suite's builds tagged
// PROJECT-built:N.
func removeBuilt(ctx context.Context, d *engine.Docker, project string) error {
	list, err := d.Client().ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", project+"-built"))})
	if err != nil {
		return err
	}
	var errs []error
	for _, img := range list {
		_, err := d.Client().ImageRemove(ctx, img.ID, image.RemoveOptions{Force: true, PruneChildren: true})
		errs = append(errs, ignore(err, engine.ErrNotFound))
	}
	return errors.Join(errs...)
}
