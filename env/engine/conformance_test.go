package engine_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/env/engine/enginetest"
	"github.com/devenv-dev/devenv/internal/imagebuild"
	"github.com/devenv-dev/devenv/internal/imagebuild/imagebuildtest"
	"github.com/devenv-dev/devenv/internal/registrytest"
)

// TestDockerConformance runs the suite the fake is held to against the
// Docker Engine, with testsvc images of this run's own (imagebuildtest) and
// a registry on 127.0.0.1.
func TestDockerConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a Docker Engine; skipped with -short")
	}
	d, err := engine.NewDocker(t.Context())
	if err != nil {
		t.Fatalf("connecting to the Docker Engine: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Ping(t.Context()); err != nil {
		t.Fatalf("the Docker Engine must be running for integration tests (or use -short): %v", err)
	}
	run := imagebuildtest.New()
	// Registered first, so that it runs last: after every subtest has
	// removed its containers.
	t.Cleanup(func() {
		if err := run.Remove(context.WithoutCancel(t.Context()), d.Client()); err != nil {
			t.Error(err)
		}
	})
	img, plain, err := run.Image(t.Context(), d.Client(), "./examples/testsvc", "testsvc", imagebuild.ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	healthImg, _, err := run.Image(t.Context(), d.Client(), "./examples/testsvc", "testsvc-health", imagebuild.ImageOptions{
		Healthcheck: &v1.HealthConfig{
			Test: []string{"CMD", imagebuild.BinaryPath, "health"}, Interval: 200 * time.Millisecond,
			Timeout: 10 * time.Second, Retries: 1,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registrytest.Start(registrytest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	enginetest.RunConformance(t, func(t *testing.T) enginetest.Target {
		project := "conf-" + randomHex()
		remote := reg.Ref("conf/remote:" + project)
		digest, err := imagebuild.Push(t.Context(), plain, remote)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { removeTarget(t, d, project) })
		return enginetest.Target{
			Engine: d, Project: project, Image: img, HealthImage: healthImg,
			Remote: remote, RemoteDigest: digest, Missing: reg.Ref("conf/missing:1"),
		}
	})
}

// removeTarget removes what a subtest left: the project's containers,
// networks and volumes, and the volume a mount created. (The pulled image
// is the run's: run.Remove deletes it.)
func removeTarget(t *testing.T, d *engine.Docker, project string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	obs, err := d.Observe(ctx, project)
	if err != nil {
		t.Errorf("cleanup of %s: %v", project, err)
		return
	}
	var errs []error
	for _, c := range obs.Containers {
		errs = append(errs, ignore(d.ContainerRemove(ctx, c.ID), engine.ErrNotFound))
	}
	// The suite's other project ("PROJECT-other") is its own to remove.
	for _, n := range obs.Networks {
		errs = append(errs, ignore(d.NetworkRemove(ctx, n.ID), engine.ErrNotFound))
	}
	for _, v := range obs.Volumes {
		errs = append(errs, ignore(d.VolumeRemove(ctx, v.Name), engine.ErrNotFound))
	}
	errs = append(errs, ignore(d.VolumeRemove(ctx, project+"_data"), engine.ErrNotFound))
	errs = append(errs, removeBuilt(ctx, d, project))
	if err := errors.Join(errs...); err != nil {
		t.Errorf("cleanup of %s: %v", project, err)
	}
}

func ignore(err, want error) error {
	if errors.Is(err, want) {
		return nil
	}
	return err
}

func randomHex() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
