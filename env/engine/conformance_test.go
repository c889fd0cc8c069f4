package engine_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/env/engine/enginetest"
	"github.com/devenv-dev/devenv/internal/imagebuild"
	"github.com/devenv-dev/devenv/internal/registrytest"
)

// TestDockerConformance runs the suite the fake is held to against the
// Docker Engine, with testsvc images of this run's own (their IDs and tags
// unique to it, removed at the end) and a registry on 127.0.0.1.
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
	run := randomHex()
	img := buildTestsvc(t, d, run, nil)
	healthImg := buildTestsvc(t, d, run, &v1.HealthConfig{
		Test: []string{"CMD", imagebuild.BinaryPath, "health"}, Interval: 200 * time.Millisecond,
		Timeout: 10 * time.Second, Retries: 1,
	})
	reg, err := registrytest.Start(registrytest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	enginetest.RunConformance(t, func(t *testing.T) enginetest.Target {
		project := "conf-" + randomHex()
		remote := reg.Ref("conf/remote:" + project)
		digest, err := imagebuild.Push(t.Context(), img.v1, remote)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { removeTarget(t, d, project, remote, digest) })
		return enginetest.Target{
			Engine: d, Project: project, Image: img.ref, HealthImage: healthImg.ref,
			Remote: remote, RemoteDigest: digest, Missing: reg.Ref("conf/missing:1"),
		}
	})
}

type testImage struct {
	ref string
	v1  v1.Image
}

// buildTestsvc builds testsvc with a label of this run, which makes its ID
// the run's own, loads it under a tag of the run's own, and removes it by
// ID when the test ends.
func buildTestsvc(t *testing.T, d *engine.Docker, run string, health *v1.HealthConfig) testImage {
	t.Helper()
	ctx := t.Context()
	arch, err := imagebuild.EngineArch(ctx, d.Client())
	if err != nil {
		t.Fatal(err)
	}
	bin, err := imagebuild.GoBinary(ctx, "./examples/testsvc", arch)
	if err != nil {
		t.Fatal(err)
	}
	name := "testsvc"
	if health != nil {
		name = "testsvc-health"
	}
	img, err := imagebuild.Image(bin, imagebuild.ImageOptions{
		Arch: arch, Healthcheck: health, Labels: map[string]string{"dev.devenv.test-run": run + "-" + name},
	})
	if err != nil {
		t.Fatal(err)
	}
	ref := "devenv-conformance-" + run + "/" + name + ":1"
	if err := imagebuild.Load(ctx, d.Client(), img, ref); err != nil {
		t.Fatal(err)
	}
	id, err := imagebuild.ImageID(img)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, err := d.Client().ImageRemove(context.WithoutCancel(ctx), id, image.RemoveOptions{Force: true, PruneChildren: true})
		if err != nil {
			t.Errorf("removing test image %s: %v", ref, err)
		}
	})
	return testImage{ref: ref, v1: img}
}

// removeTarget removes what a subtest left: the project's containers,
// networks and volumes, the volume a mount created, and the pulled tags.
func removeTarget(t *testing.T, d *engine.Docker, project, remote, digest string) {
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
	for _, ref := range []string{remote, repository(remote) + "@" + digest} {
		_, err := d.Client().ImageRemove(ctx, ref, image.RemoveOptions{})
		if !cerrdefs.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
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

// repository is "host:port/repo" of "host:port/repo:tag".
func repository(ref string) string {
	for i := len(ref) - 1; i >= 0 && ref[i] != '/'; i-- {
		if ref[i] == ':' {
			return ref[:i]
		}
	}
	return ref
}

func randomHex() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
