package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/devenv-dev/devenv/internal/imagebuild"
	"github.com/devenv-dev/devenv/internal/registrytest"
)

// TestPulledDigestsAndTheLock runs the pull path end to end through a real
// registry: a new digest recreates exactly its service; envs.lock pins a
// digest after the tag moved; lock --check and outdated see the move.
func TestPulledDigestsAndTheLock(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: needs the Docker Engine (run without -short)")
	}
	ctx := t.Context()
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	arch, err := imagebuild.EngineArch(ctx, cli)
	if err != nil {
		t.Fatalf("the Docker Engine is required for this test: %v", err)
	}
	bin, err := imagebuild.GoBinary(ctx, "./examples/testsvc", arch)
	if err != nil {
		t.Fatal(err)
	}
	variant := func(v string) (v1.Image, string) {
		// The run's labels make the IDs the run's own, and TestMain removes
		// whatever of them is left.
		img, err := imagebuild.Image(bin, images.Options("variant-"+v, imagebuild.ImageOptions{Arch: arch}))
		if err != nil {
			t.Fatal(err)
		}
		id, _ := imagebuild.ImageID(img)
		return img, id
	}
	imgA, idA := variant("a")
	imgB, idB := variant("b")

	reg, err := registrytest.Start(registrytest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	push := func(repoTag string, img v1.Image) {
		if _, err := reg.Push(repoTag, img); err != nil {
			t.Fatal(err)
		}
	}
	push("e2e/api:1", imgA)
	push("e2e/db:1", imgA)

	// Registered before the project's down, so that it runs after it: an
	// image is removed only once no container uses it.
	t.Cleanup(func() { removeImages(t, cli, reg.Addr) })
	dir, project := setupRegistryProject(t, reg.Addr)
	mustRun(t, dir, 0, "up")
	assertImages(t, dir, map[string]string{"api": idA, "db": idA})
	before := psIDs(t, dir)

	// A new digest behind the tag: pull, and the next up recreates only api.
	push("e2e/api:1", imgB)
	mustRun(t, dir, 0, "pull", "api")
	mustRun(t, dir, 0, "up")
	after := psIDs(t, dir)
	if after["api"] == before["api"] || after["db"] != before["db"] {
		t.Errorf("containers before %v after %v: want only api recreated", before, after)
	}
	assertImages(t, dir, map[string]string{"api": idB, "db": idA})

	// A failed pull changes nothing: api keeps running its container.
	file := filepath.Join(dir, "envs.yaml")
	good, _ := os.ReadFile(file)
	if err := os.WriteFile(file, []byte(strings.Replace(string(good), "image: api:1", "image: api:404", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, dir, 1, "up")
	if !strings.Contains(out, "service api: image "+reg.Addr+"/e2e/api:404: not found in the registry") {
		t.Errorf("the pull error should name the service, the image and the cause:\n%s", out)
	}
	if now := psIDs(t, dir); now["api"] != after["api"] || now["db"] != after["db"] {
		t.Errorf("a failed pull touched the running stack: %v, was %v", now, after)
	}
	os.WriteFile(file, good, 0o644)

	// Lock, then move the tag back: up keeps running the locked digest.
	mustRun(t, dir, 0, "lock")
	lock, err := os.ReadFile(filepath.Join(dir, "envs.lock"))
	if err != nil || !strings.Contains(string(lock), reg.Addr+"/e2e/api:1  sha256:") {
		t.Fatalf("envs.lock: %v\n%s", err, lock)
	}
	push("e2e/api:1", imgA)
	// A teammate's fresh machine; down first: the engine keeps an image a
	// container uses.
	mustRun(t, dir, 0, "-p", project, "down")
	removeImages(t, cli, reg.Addr)
	mustRun(t, dir, 0, "up")
	assertImages(t, dir, map[string]string{"api": idB, "db": idA})

	out = mustRun(t, dir, 6, "lock", "--check")
	if !strings.Contains(out, "e2e/api:1") || strings.Contains(out, "e2e/db:1") {
		t.Errorf("lock --check should name api's image only:\n%s", out)
	}
	out = mustRun(t, dir, 0, "outdated")
	if !strings.Contains(out, "api") || strings.Contains(out, "\ndb ") {
		t.Errorf("outdated should list api only:\n%s", out)
	}
	mustRun(t, dir, 0, "lock")
	mustRun(t, dir, 0, "lock", "--check")
	mustRun(t, dir, 0, "up")
	assertImages(t, dir, map[string]string{"api": idA, "db": idA})
}

func setupRegistryProject(t *testing.T, addr string) (dir, project string) {
	t.Helper()
	dir, project = setup(t, `
name: NAME
registry: REG/e2e
services:
  db:
    image: db:1
  api:
    image: api:1
    depends_on: [db]
`)
	file := filepath.Join(dir, "envs.yaml")
	b, _ := os.ReadFile(file)
	if err := os.WriteFile(file, []byte(strings.ReplaceAll(string(b), "REG", addr)), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, project
}

func mustRun(t *testing.T, dir string, want int, args ...string) string {
	t.Helper()
	out, code := run(t, dir, args...)
	if code != want {
		t.Fatalf("devenv %v: exit %d, want %d\n%s", args, code, want, out)
	}
	return out
}

type psRow struct {
	Service string `json:"service"`
	ID      string `json:"id"`
	ImageID string `json:"image_id"`
}

func psRows(t *testing.T, dir string) []psRow {
	t.Helper()
	out, code := run(t, dir, "ps", "--output", "json")
	var rows []psRow
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil {
		t.Fatalf("ps: exit %d, %v\n%s", code, err, out)
	}
	return rows
}

func psIDs(t *testing.T, dir string) map[string]string {
	ids := map[string]string{}
	for _, r := range psRows(t, dir) {
		ids[r.Service] = r.ID
	}
	return ids
}

func assertImages(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	for _, r := range psRows(t, dir) {
		if w := strings.TrimPrefix(want[r.Service], "sha256:"); !strings.HasPrefix(w, r.ImageID) || r.ImageID == "" {
			t.Errorf("service %s runs image %s, want %.12s", r.Service, r.ImageID, w)
		}
	}
}

// removeImages removes every local image pulled from the test registry.
func removeImages(t *testing.T, cli *client.Client, addr string) {
	ctx := context.Background() // also used from t.Cleanup, after t.Context ends
	list, err := cli.ImageList(ctx, image.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range list {
		for _, ref := range append(img.RepoTags, img.RepoDigests...) {
			if strings.HasPrefix(ref, addr+"/") {
				if _, err := cli.ImageRemove(ctx, img.ID, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil {
					t.Errorf("removing pulled image %s: %v", ref, err)
				}
				break
			}
		}
	}
}
