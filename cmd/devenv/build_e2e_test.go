package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

// TestBuildThenUp runs devenv build and up on a service built FROM the test
// image: build makes the image with a command-line argument, up keeps it,
// and a changed context makes up rebuild and recreate the service.
func TestBuildThenUp(t *testing.T) {
	dir, project := setup(t, `
name: NAME
services:
  web:
    build: {context: web, args: {PAGE: one}}
`)
	t.Cleanup(func() {
		// Down first: an image a container still uses would stay behind.
		if out, code := run(t, dir, "-p", project, "down", "-t", "1s"); code != 0 {
			t.Errorf("down: exit %d\n%s", code, out)
		}
		removeLabelled(t, project)
	})
	files := map[string]string{
		"web/Dockerfile": "FROM " + testImage + "\nLABEL dev.devenv.test=" + project + "\nARG PAGE\nARG EXTRA\nLABEL page=$PAGE extra=$EXTRA\nCOPY page.txt /page.txt\n",
		"web/page.txt":   "v1",
	}
	for name, data := range files {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := mustRun(t, dir, 0, "build", "--build-arg", "EXTRA=cli")
	if !strings.Contains(out, "build web: built") {
		t.Errorf("build printed:\n%s", out)
	}
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	img, err := cli.ImageInspect(t.Context(), project+"-web")
	if err != nil {
		t.Fatal(err)
	}
	if labels := img.Config.Labels; labels["page"] != "one" || labels["extra"] != "cli" {
		t.Errorf("built image labels %v: want page=one (the file's arg) and extra=cli (--build-arg)", labels)
	}
	if out := mustRun(t, dir, 0, "up"); strings.Contains(out, "build web") {
		t.Errorf("up after build built again:\n%s", out)
	}
	ids := psIDs(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "web", "page.txt"), []byte("v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, dir, 0, "up"); !strings.Contains(out, "build web: built") {
		t.Errorf("up after a change did not build:\n%s", out)
	}
	if after := psIDs(t, dir); after["web"] == ids["web"] {
		t.Errorf("web kept container %s after its context changed", ids["web"])
	}
}

// removeLabelled removes the images a test's builds labelled with its
// project, children before parents.
func removeLabelled(t *testing.T, project string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Error(err)
		return
	}
	defer cli.Close()
	var errs []error
	for range 10 {
		list, err := cli.ImageList(ctx, image.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", "dev.devenv.test="+project))})
		if err != nil || len(list) == 0 {
			errs = append(errs[:0], err)
			break
		}
		errs = errs[:0]
		for _, img := range list {
			if _, err := cli.ImageRemove(ctx, img.ID, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		t.Errorf("removing the images of %s: %v", project, err)
	}
}
