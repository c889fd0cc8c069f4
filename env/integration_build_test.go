package env_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/internal/imagebuild"
)

// testLabel marks every image layer a build test makes (its Dockerfiles
// start with LABEL testLabel=PROJECT), so that the cleanup finds them all,
// intermediate ones of failed builds included.
const testLabel = "dev.devenv.test"

// buildTree writes files under dir/NAME (with NAME replaced in the paths
// and contents) and copies the static testsvc binary to each path in bins.
func buildTree(t *testing.T, dir, name string, files map[string]string, bins ...string) {
	t.Helper()
	bin, err := imagebuild.GoBinary(t.Context(), "./examples/testsvc", runtime.GOARCH)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	for rel, content := range files {
		files[rel] = strings.ReplaceAll(content, "NAME", name)
	}
	for _, b := range bins {
		files[b] = string(data)
	}
	for rel, content := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// buildProjectOnEngine loads yaml from dir under a project name of the
// test's own, and removes the project and every image its builds made
// when the test ends.
func buildProjectOnEngine(t *testing.T, eng *engine.Docker, dir, name, yaml string) *config.Project {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := env.Down(ctx, eng, name, env.DownOptions{Volumes: true, Timeout: time.Second}); err != nil {
			t.Errorf("cleaning up project %s: %v", name, err)
		}
		removeBuilt(t, ctx, eng, name)
	})
	return loadYAML(t, dir, name, yaml)
}

// removeBuilt removes the images labelled with the project. A parent
// cannot go before its children, so it goes round until none is left.
func removeBuilt(t *testing.T, ctx context.Context, eng *engine.Docker, name string) {
	cli := eng.Client()
	var errs []error
	for range 10 {
		list, err := cli.ImageList(ctx, image.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", testLabel+"="+name))})
		if err != nil {
			t.Errorf("listing the images of %s: %v", name, err)
			return
		}
		if len(list) == 0 {
			return
		}
		errs = nil
		for _, img := range list {
			if _, err := cli.ImageRemove(ctx, img.ID, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil {
				errs = append(errs, err)
			}
		}
	}
	t.Errorf("removing the images of %s: %v", name, errors.Join(errs...))
}

// statPath reports whether path exists in a service's container.
func statPath(t *testing.T, eng *engine.Docker, id, path string) bool {
	t.Helper()
	_, err := eng.Client().ContainerStatPath(t.Context(), id, path)
	return err == nil
}

const buildDockerfile = `FROM scratch AS base
LABEL dev.devenv.test=NAME
ARG GREETING=unset
COPY app /app
COPY . /ctx/
LABEL greeting=$GREETING
FROM base AS runtime
COPY greeting.txt /runtime.txt
FROM base AS broken
COPY does-not-exist /
`

func TestBuildArgsTargetAndDockerignore(t *testing.T) {
	eng := dockerEngine(t)
	dir, name := t.TempDir(), uniqueName()
	buildTree(t, dir, name, map[string]string{
		"web/Dockerfile": buildDockerfile, "web/greeting.txt": "hello", "web/secret.txt": "keep out",
		"web/.dockerignore": "secret.txt\n*.log\n", "web/debug.log": "noise",
	}, "web/app")
	p := buildProjectOnEngine(t, eng, dir, name, `
name: NAME
services:
  web:
    build: {context: web, target: runtime, args: {GREETING: hi}, labels: {team: shop}}
    command: ["/app"]
`)
	rec := &recorder{}
	if _, err := env.Up(t.Context(), eng, p, env.UpOptions{Progress: rec, Timeout: 2 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	img, err := eng.ImageInspect(t.Context(), name+"-web")
	if err != nil {
		t.Fatal(err)
	}
	if img.Labels["greeting"] != "hi" || img.Labels["team"] != "shop" || img.Labels[engine.LabelBuildHash] == "" {
		t.Errorf("image labels %v: want greeting=hi (the arg), team=shop and the build hash", img.Labels)
	}
	id := containerIDs(t, eng, name)["web"]
	for path, want := range map[string]bool{
		"/app": true, "/ctx/greeting.txt": true, "/runtime.txt": true, // the target stage was built
		"/ctx/secret.txt": false, "/ctx/debug.log": false, // .dockerignore left them out
		"/ctx/Dockerfile": true, "/ctx/.dockerignore": true,
	} {
		if got := statPath(t, eng, id, path); got != want {
			t.Errorf("%s in the container: %v, want %v", path, got, want)
		}
	}
	var built bool
	for _, e := range rec.events {
		built = built || (e.Kind == env.KindBuild && e.Name == "web" && e.Status == env.StatusBuilt)
	}
	if !built {
		t.Errorf("no built event among %v", rec.events)
	}
}

func TestRebuildRecreatesOnlyTheChangedService(t *testing.T) {
	eng := dockerEngine(t)
	dir, name := t.TempDir(), uniqueName()
	df := "FROM scratch\nLABEL dev.devenv.test=NAME\nCOPY . /\n"
	buildTree(t, dir, name, map[string]string{
		"web/Dockerfile": df, "web/page.txt": "v1", "api/Dockerfile": df, "api/page.txt": "v1",
	}, "web/app", "api/app")
	p := buildProjectOnEngine(t, eng, dir, name, `
name: NAME
services:
  web: {build: web, command: ["/app"]}
  api: {build: api, command: ["/app"]}
`)
	if _, err := env.Up(t.Context(), eng, p, env.UpOptions{Timeout: 2 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	before := containerIDs(t, eng, name)
	if err := os.WriteFile(filepath.Join(dir, "web", "page.txt"), []byte("v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	if _, err := env.Up(t.Context(), eng, p, env.UpOptions{Progress: rec, Timeout: 2 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	after := containerIDs(t, eng, name)
	if after["web"] == before["web"] || after["api"] != before["api"] {
		t.Errorf("containers before %v, after %v: want web recreated and api kept", before, after)
	}
	for _, e := range rec.events {
		if e.Kind == env.KindBuild && e.Name == "api" {
			t.Errorf("api was built again: %+v", e)
		}
	}
}

func TestBuildFailureShowsTheStepOutput(t *testing.T) {
	eng := dockerEngine(t)
	dir, name := t.TempDir(), uniqueName()
	buildTree(t, dir, name, map[string]string{
		"job/Dockerfile": "FROM scratch\nLABEL dev.devenv.test=NAME\nCOPY app /app\nRUN [\"/app\", \"-exit\", \"7\"]\n",
	}, "job/app")
	p := buildProjectOnEngine(t, eng, dir, name, "name: NAME\nservices:\n  job: {build: job}\n")
	_, err := env.Up(t.Context(), eng, p, env.UpOptions{Timeout: 2 * time.Minute})
	if !errors.Is(err, engine.ErrBuildFailed) {
		t.Fatalf("err = %v, want a failed build", err)
	}
	// testsvc logs its flags, then that it exits with 7: the step's output.
	for _, want := range []string{"service job: building " + name + "-job: Step 4/", `: RUN ["/app", "-exit", "7"]`, "returned a non-zero code: 7", "msg=exit service=testsvc code=7"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
