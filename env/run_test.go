package env_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/env/engine/enginetest"
)

// Run starts the dependencies, runs a one-off with the service's config and
// the overrides, returns its exit code; up leaves it alone, down removes it.
func TestRunOneOff(t *testing.T) {
	ctx := context.Background()
	p := parse(t, `name: ro
services:
  api: {image: api:1, ports: ["127.0.0.1::80"], environment: {A: "1"}, depends_on: [db]}
  db: {image: db:1}
`)
	f := fakeWith(t, p, nil)
	plain := f.OnStart
	f.OnStart = func(spec engine.ContainerSpec) enginetest.Behaviour { // the one-off exits 3
		b := plain(spec)
		b.Exit, b.ExitCode = spec.Labels[env.LabelOneOff] != "", 3
		return b
	}
	name, code, err := env.Run(ctx, f, p, env.RunOptions{Service: "api", Cmd: []string{"migrate"}, Env: []string{"B=2"}, User: "nobody"})
	if err != nil || code != 3 {
		t.Fatalf("Run = %q, %d, %v; want exit code 3", name, code, err)
	}
	if !regexp.MustCompile(`^ro-api-run-[0-9a-f]{12}$`).MatchString(name) {
		t.Errorf("one-off named %q", name)
	}
	spec, ok := f.Spec(name)
	if !ok {
		t.Fatalf("no container %s", name)
	}
	if !slices.Equal(spec.Command, []string{"migrate"}) || !slices.Contains(spec.Env, "A=1") || !slices.Contains(spec.Env, "B=2") ||
		spec.User != "nobody" || len(spec.Ports) != 0 || spec.Labels[env.LabelOneOff] != "true" || spec.Network == "" {
		t.Errorf("one-off spec: %+v", spec)
	}
	if got := serviceStates(t, f, "ro"); got["db"] != "running" {
		t.Errorf("db not brought up first: %v", got)
	}
	if _, err := env.Up(ctx, f, p, env.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Spec(name); !ok {
		t.Errorf("up removed the one-off %s", name)
	}
	if err := env.Down(ctx, f, "ro", env.DownOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Spec(name); ok {
		t.Errorf("down left the one-off %s", name)
	}
}

// --rm removes the one-off after it exits; --no-deps starts nothing else;
// -d leaves it running.
func TestRunRemoveNoDepsDetach(t *testing.T) {
	ctx := context.Background()
	p := parse(t, "name: rr\nservices:\n  api: {image: api:1, depends_on: [db]}\n  db: {image: db:1}\n  job: {image: api:1}\n")
	f := fakeWith(t, p, map[string]behaviour{"api": {exit: true}})
	name, _, err := env.Run(ctx, f, p, env.RunOptions{Service: "api", Remove: true, NoDeps: true, Name: "mine"})
	if err != nil || name != "mine" {
		t.Fatalf("Run = %q, %v", name, err)
	}
	if _, ok := f.Spec("mine"); ok {
		t.Error("--rm left the container")
	}
	for _, c := range f.Calls() {
		if strings.HasSuffix(c, "rr-db") {
			t.Errorf("--no-deps still acted on db: %s", c)
		}
	}
	name, _, err = env.Run(ctx, f, p, env.RunOptions{Service: "job", Detach: true})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := f.ContainerInspect(ctx, name); err != nil || c.State != "running" {
		t.Errorf("detached one-off: %+v, %v", c, err)
	}
	// exec goes to the service's own container, not to a one-off.
	if _, err := env.Up(ctx, f, p, env.UpOptions{Services: []string{"job"}}); err != nil {
		t.Fatal(err)
	}
	f.ResetCalls()
	if _, err := env.Exec(ctx, f, p, env.ExecOptions{Service: "job", Cmd: []string{"true"}}); err != nil {
		t.Fatal(err)
	}
	if calls := f.Calls(); !slices.Equal(calls, []string{"exec rr-job"}) {
		t.Errorf("exec calls %q, want [exec rr-job]", calls)
	}
	if err := env.Down(ctx, f, "rr", env.DownOptions{}); err != nil {
		t.Fatal(err)
	}
}
