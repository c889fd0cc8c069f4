package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/imagebuild/imagebuildtest"
	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
)

// images are this test binary's own: testImage is their testsvc, built
// once by the first integration test and removed by TestMain, so a
// concurrent run can neither remove it under us nor share it.
var (
	images    = imagebuildtest.New()
	testImage = images.Ref("testsvc")
)

// removeTestImageIfBuilt removes the run's images once its tests (and
// their cleanups, which remove the containers) are done; TestMain calls it.
func removeTestImageIfBuilt() error {
	if testing.Short() {
		return nil
	}
	return removeImages()
}

// removeImages removes the run's images once its tests (and their
// cleanups, which remove the containers) are done.
func removeImages() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := NewDocker(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	return images.Remove(ctx, d.cli)
}

// integration returns a Docker connected to the real engine, a project name
// of the test's own, and the test image. It fails the test when the engine
// cannot be reached: only -short skips it. Everything labelled with the
// project is removed when the test ends, passed or failed.
func integration(t *testing.T) (*Docker, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a Docker Engine; skipped with -short")
	}
	d, err := NewDocker(t.Context())
	if err != nil {
		t.Fatalf("connecting to the Docker Engine: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Ping(t.Context()); err != nil {
		t.Fatalf("the Docker Engine must be running for integration tests (or use -short): %v", err)
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	project := "enginetest-" + hex.EncodeToString(suffix)
	t.Cleanup(func() { removeProject(t, d, project) })
	buildTestImage(t, d)
	return d, project
}

func buildTestImage(t *testing.T, d *Docker) {
	t.Helper()
	if _, err := images.Testsvc(t.Context(), d.cli); err != nil {
		t.Fatalf("building the test image: %v", err)
	}
}

// removeProject removes the project's containers, networks and volumes. It
// runs in t.Cleanup, when t.Context is already done.
func removeProject(t *testing.T, d *Docker, project string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	obs, err := d.Observe(ctx, project)
	if err != nil {
		t.Errorf("cleanup of %s: %v", project, err)
		return
	}
	var errs []error
	for _, c := range obs.Containers {
		errs = append(errs, ignoreNotFound(d.ContainerRemove(ctx, c.ID)))
	}
	for _, n := range obs.Networks {
		errs = append(errs, ignoreNotFound(d.NetworkRemove(ctx, n.ID)))
	}
	for _, v := range obs.Volumes {
		errs = append(errs, ignoreNotFound(d.VolumeRemove(ctx, v.Name)))
	}
	if err := errors.Join(errs...); err != nil {
		t.Errorf("cleanup of %s: %v", project, err)
	}
	left, err := d.cli.ContainerList(ctx, containerListAll(project))
	if err == nil && len(left) > 0 {
		t.Errorf("cleanup of %s left %d containers", project, len(left))
	}
}

func ignoreNotFound(err error) error {
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// labels are the labels of a test container of service svc.
func labels(project, svc string) map[string]string {
	return map[string]string{LabelProject: project, LabelService: svc, LabelConfigHash: "hash-" + svc}
}

// waitEvent reads events until one satisfies match, and returns the brief
// form ("service action [health|exit code]") of all read, in order.
func waitEvent(t *testing.T, events <-chan Event, match func(Event) bool) []string {
	t.Helper()
	var seen []string
	for {
		ev := testutil.Receive(t, fmt.Sprintf("the awaited event (read so far: %q)", seen), events)
		seen = append(seen, briefEvent(ev))
		if match(ev) {
			return seen
		}
	}
}

func briefEvent(ev Event) string {
	s := ev.Service + " " + ev.Action
	switch {
	case ev.Health != "":
		s += " " + ev.Health
	case ev.Action == "die":
		s += fmt.Sprintf(" %d", ev.ExitCode)
	}
	return s
}

func action(a string) func(Event) bool { return func(ev Event) bool { return ev.Action == a } }

// index is the position of s in seen, or -1.
func index(seen []string, s string) int { return slices.Index(seen, s) }

func containerListAll(project string) container.ListOptions {
	return container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", LabelProject+"="+project))}
}

// checkNoStreams fails when goroutines of cancelled streams linger: the
// functions named must leave every stack.
func checkNoStreams(t *testing.T, funcs ...string) {
	t.Helper()
	testutil.EventuallyNoError(t, "the goroutines of ended streams to end", func() error {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		var left []string
		for _, f := range funcs {
			if strings.Contains(stacks, f) {
				left = append(left, f)
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("goroutines still in %q", left)
		}
		return nil
	})
}
