package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/devenv-dev/devenv/examples/imagebuild"
)

// services are the sample stack's images in dependency order: the set
// examples/build builds, without testsvc, which the stack does not use.
var services = []string{"store", "passport", "works", "message", "boss", "web"}

// modulePath prefixes each service's directory to form its import path.
const modulePath = "github.com/devenv-dev/devenv/examples/"

// parallel bounds concurrent go builds; links are CPU-heavy.
const parallel = 2

// imageOptions must stay in step with imageOptions in examples/build (a
// main package, so it cannot be imported): with the same binary and options
// the pushed image has the same ID as the one examples/build loads.
func imageOptions(service, arch string) imagebuild.ImageOptions {
	return imagebuild.ImageOptions{
		Arch:         arch,
		ExposedPorts: []string{"8080/tcp"},
		Labels: map[string]string{
			"org.opencontainers.image.title": service,
			"dev.devenv.example":             "true",
		},
		Healthcheck: &v1.HealthConfig{
			Test:     []string{"CMD", imagebuild.BinaryPath, "health"},
			Interval: 2 * time.Second,
			Timeout:  2 * time.Second,
			Retries:  15,
		},
	}
}

// publish builds every service for arch and pushes it as
// REPO/<service>:dev, returning the refs in service order.
func publish(ctx context.Context, repo, arch string) ([]string, error) {
	refs := make([]string, len(services))
	errs := make([]error, len(services))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, s := range services {
		refs[i] = repo + "/" + s + ":dev"
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = buildAndPush(ctx, s, arch, refs[i])
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return refs, nil
}

// buildAndPush compiles one service, wraps it and pushes it as ref.
func buildAndPush(ctx context.Context, service, arch, ref string) error {
	bin, err := imagebuild.GoBinary(ctx, modulePath+service, arch)
	if err != nil {
		return err
	}
	img, err := imagebuild.Image(bin, imageOptions(service, arch))
	if err != nil {
		return fmt.Errorf("%s: %w", service, err)
	}
	_, err = imagebuild.Push(ctx, img, ref)
	return err
}
