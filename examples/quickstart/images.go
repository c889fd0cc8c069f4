package main

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/devenv-dev/devenv/internal/imagebuild"
)

// services are the sample stack's images in dependency order: the set
// examples/build builds, without testsvc, which the stack does not use.
var services = []string{"store", "passport", "works", "message", "boss", "web"}

// modulePath prefixes each service's directory to form its import path.
const modulePath = "github.com/devenv-dev/devenv/examples/"

// parallel bounds concurrent go builds; links are CPU-heavy.
const parallel = 2

// publish builds every service for arch and pushes it as
// REPO/<service>:dev, returning the refs in service order.
func publish(ctx context.Context, repo, arch string) ([]string, error) {
	refs := make([]string, len(services))
	errs := make([]error, len(services))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for i, s := range services {
		refs[i] = repo + "/" + s + ":dev"
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = buildAndPush(ctx, s, arch, refs[i])
			if errs[i] == nil {
				mu.Lock()
				done++
				say("image %s pushed (%d of %d)", s, done, len(services))
				mu.Unlock()
			}
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
	img, err := imagebuild.Image(bin, imagebuild.SampleOptions(service, arch))
	if err != nil {
		return fmt.Errorf("%s: %w", service, err)
	}
	_, err = imagebuild.Push(ctx, img, ref)
	return err
}
