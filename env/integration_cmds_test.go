package env_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/internal/imagebuild"
)

const pair = `
name: NAME
services:
  app:
    image: IMAGE
  side:
    image: IMAGE
`

// On the engine: cp round-trips a tree with modes and a link, top and
// images see the containers, ls lists the project, pause/kill/rm act on
// the right containers.
func TestCompanionCommands(t *testing.T) {
	eng := dockerEngine(t)
	p := project(t, eng, pair)
	ctx := t.Context()
	if _, err := env.Up(ctx, eng, p, env.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "conf")
	if err := os.MkdirAll(filepath.Join(src, "sub"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "sub", "key"), []byte("k3y"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("sub/key", filepath.Join(src, "link")); err != nil {
		t.Fatal(err)
	}
	if err := env.Copy(ctx, eng, p, env.CopyOptions{Service: "app", HostPath: src, ContainerPath: "/conf", ToContainer: true}); err != nil {
		t.Fatalf("cp in: %v", err)
	}
	back := filepath.Join(t.TempDir(), "back")
	if err := env.Copy(ctx, eng, p, env.CopyOptions{Service: "app", ContainerPath: "/conf", HostPath: back}); err != nil {
		t.Fatalf("cp out: %v", err)
	}
	if diff := cmp.Diff(tree(t, src), tree(t, back)); diff != "" {
		t.Errorf("cp round trip (-want +got):\n%s", diff)
	}

	tops, err := env.Top(ctx, eng, p, []string{"app"})
	if err != nil || len(tops) != 1 || len(tops[0].Rows) == 0 {
		t.Errorf("top app: %+v, %v", tops, err)
	}
	imgs, err := env.Images(ctx, eng, p, nil)
	if err != nil || len(imgs) != 2 || imgs[0].Repository+":"+imgs[0].Tag != testImage || imgs[0].Size <= 0 {
		t.Errorf("images: %+v, %v (want %s twice)", imgs, err, testImage)
	}
	projects, err := env.Projects(ctx, eng, false)
	if i := slices.IndexFunc(projects, func(s env.ProjectSummary) bool { return s.Name == p.Name }); err != nil || i < 0 ||
		!cmp.Equal(projects[i], env.ProjectSummary{Name: p.Name, States: map[string]int{"running": 2}, Services: 2, ConfigFiles: []string{p.File}}) {
		t.Errorf("ls: %+v, %v; want %s with 2 running", projects, err, p.Name)
	}

	if err := env.Pause(ctx, eng, p, env.LifecycleOptions{Services: []string{"app"}}); err != nil {
		t.Fatal(err)
	}
	if err := env.Kill(ctx, eng, p, env.KillOptions{Services: []string{"side"}}); err != nil {
		t.Fatal(err)
	}
	if err := env.Remove(ctx, eng, p, env.RemoveOptions{Volumes: true}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"app": "paused"}, serviceStates(t, eng, p.Name)); diff != "" {
		t.Errorf("after pause app, kill side, rm (-want +got):\n%s", diff)
	}
	if err := env.Remove(ctx, eng, p, env.RemoveOptions{Stop: true, Timeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	if got := serviceStates(t, eng, p.Name); len(got) != 0 {
		t.Errorf("after rm -s: %v", got)
	}
}

const withDep = `
name: NAME
services:
  app:
    image: IMAGE
    environment: {GREETING: hello}
    ports: ["127.0.0.1::8080"]
    depends_on: [side]
  side:
    image: IMAGE
`

// On the engine: run brings up the dependency, runs the one-off on the
// project's network with the command given, returns its exit code and
// output; --rm removes it, up leaves a kept one alone, down removes it.
func TestRunOnEngine(t *testing.T) {
	eng := dockerEngine(t)
	p := project(t, eng, withDep)
	ctx := t.Context()
	var out strings.Builder
	name, code, err := env.Run(ctx, eng, p, env.RunOptions{Service: "app", Cmd: []string{"-exit", "5"}, Stdout: &out, Stderr: &out})
	if err != nil || code != 5 {
		t.Fatalf("run: %q %d %v; want exit code 5", name, code, err)
	}
	if !strings.Contains(out.String(), "msg=start") {
		t.Errorf("run output %q: want testsvc's start line", out.String())
	}
	if got := serviceStates(t, eng, p.Name); got["side"] != "running" {
		t.Errorf("side not started first: %v", got)
	}
	if _, err := env.Up(ctx, eng, p, env.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if c, err := eng.ContainerInspect(ctx, name); err != nil || c.ExitCode != 5 {
		t.Errorf("after up, the one-off: %+v, %v", c, err)
	}
	gone, _, err := env.Run(ctx, eng, p, env.RunOptions{Service: "app", Cmd: []string{"-exit", "0"}, Remove: true, NoDeps: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.ContainerInspect(ctx, gone); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("--rm left %s: %v", gone, err)
	}
	if err := env.Down(ctx, eng, p.Name, env.DownOptions{Timeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.ContainerInspect(ctx, name); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("down left the one-off %s: %v", name, err)
	}
}

// On the engine: a one-off reads a pipe on its stdin to the end, without a
// TTY, as echo hi | devenv run -T svc cat does.
func TestRunReadsAPipe(t *testing.T) {
	eng := dockerEngine(t)
	probe, _, err := images.Image(t.Context(), eng.Client(), "./env/testdata/probe", "probe", imagebuild.ImageOptions{})
	if err != nil {
		t.Fatalf("building the probe image: %v", err)
	}
	p := project(t, eng, strings.ReplaceAll("name: NAME\nservices:\n  app:\n    image: PROBE\n", "PROBE", probe))
	var out, errOut strings.Builder
	_, code, err := env.Run(t.Context(), eng, p, env.RunOptions{
		Service: "app", Cmd: []string{"cat"}, Remove: true,
		Stdin: strings.NewReader("hi\nthere\n"), Stdout: &out, Stderr: &errOut,
	})
	if err != nil || code != 0 || out.String() != "hi\nthere\n" {
		t.Errorf("run cat with a pipe: %q (stderr %q), exit %d, %v; want the pipe's text back", out.String(), errOut.String(), code, err)
	}
}
