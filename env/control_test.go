package env_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/engine"
)

// serviceStates maps each service to its container's state.
func serviceStates(t *testing.T, f engine.Engine, project string) map[string]string {
	t.Helper()
	obs, err := f.Observe(context.Background(), project)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range obs.Containers {
		out[c.Service] = c.State
	}
	return out
}

// Pause, unpause, kill and rm act only on containers in a state they apply
// to; rm leaves running containers unless told to stop them.
func TestPauseKillRemove(t *testing.T) {
	ctx := context.Background()
	p := parse(t, "name: ctl\nservices:\n  api: {image: api:1}\n  db: {image: db:1}\n")
	f := fakeWith(t, p, nil)
	if _, err := env.Up(ctx, f, p, env.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	var skipped []string
	rep := env.ReporterFunc(func(ev env.Event) {
		if ev.Status == env.StatusSkipped {
			skipped = append(skipped, ev.Name+": "+ev.Detail)
		}
	})
	steps := []struct {
		name string
		do   func() error
		want map[string]string
	}{
		{"pause api", func() error { return env.Pause(ctx, f, p, env.LifecycleOptions{Services: []string{"api"}}) },
			map[string]string{"api": "paused", "db": "running"}},
		{"pause all", func() error { return env.Pause(ctx, f, p, env.LifecycleOptions{Progress: rep}) },
			map[string]string{"api": "paused", "db": "paused"}},
		{"unpause all", func() error { return env.Unpause(ctx, f, p, env.LifecycleOptions{}) },
			map[string]string{"api": "running", "db": "running"}},
		{"kill db", func() error { return env.Kill(ctx, f, p, env.KillOptions{Services: []string{"db"}}) },
			map[string]string{"api": "running", "db": "exited"}},
		{"rm", func() error { return env.Remove(ctx, f, p, env.RemoveOptions{}) },
			map[string]string{"api": "running"}},
		{"rm -s", func() error { return env.Remove(ctx, f, p, env.RemoveOptions{Stop: true}) },
			map[string]string{}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if diff := cmp.Diff(s.want, serviceStates(t, f, "ctl")); diff != "" {
			t.Errorf("after %s (-want +got):\n%s", s.name, diff)
		}
	}
	if want := []string{"api: ctl-api is paused"}; !cmp.Equal(want, skipped) {
		t.Errorf("pause all skipped %q, want %q", skipped, want)
	}
	calls := strings.Join(slices.DeleteFunc(f.Calls(), func(c string) bool {
		return !strings.HasPrefix(c, "kill ") && !strings.HasPrefix(c, "delete ") && !strings.HasPrefix(c, "stop ")
	}), ", ")
	if want := "kill ctl-db, delete ctl-db, stop ctl-api, delete ctl-api"; calls != want {
		t.Errorf("calls %q, want %q", calls, want)
	}
}

// A named service without a container is an error saying what to do.
func TestControlNamesMissingService(t *testing.T) {
	p := parse(t, "services:\n  api: {image: api:1}\n")
	f := fakeWith(t, p, nil)
	err := env.Kill(context.Background(), f, p, env.KillOptions{Services: []string{"api"}})
	if err == nil || !strings.Contains(err.Error(), "run devenv up first") {
		t.Errorf("Kill of a service without a container: %v", err)
	}
}
