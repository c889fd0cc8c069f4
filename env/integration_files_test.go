package env_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/config"
)

// Three merged files with include, extends and a profile, brought up on
// the engine: the containers carry the merged labels, and the service of
// the disabled profile is not created until its profile is enabled.
func TestUpMergedFilesIncludeExtendsProfiles(t *testing.T) {
	eng := dockerEngine(t)
	name := uniqueName()
	dir := t.TempDir()
	files := map[string]string{
		"compose.yaml": `name: NAME
include: [db/compose.yaml]
services:
  base:
    image: IMAGE
    labels: [test.from=base, test.kind=base]
    profiles: [never]
  web:
    extends: base
    profiles: !reset []
    labels: {test.kind: web}
    depends_on: [db]
`,
		"db/compose.yaml":       "services:\n  db:\n    image: IMAGE\n    labels:\n      test.from: ${FROM}\n",
		"db/.env":               "FROM=included\n",
		"compose.override.yaml": "services:\n  web:\n    labels: [test.override=yes]\n",
		"debug.yaml":            "services:\n  debug:\n    image: IMAGE\n    profiles: [debug]\n",
	}
	for f, text := range files {
		path := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		text = strings.ReplaceAll(strings.ReplaceAll(text, "IMAGE", testImage), "NAME", name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := env.Down(ctx, eng, name, env.DownOptions{Volumes: true, Timeout: time.Second}); err != nil {
			t.Errorf("cleaning up project %s: %v", name, err)
		}
	})
	load := func(profiles ...string) *config.Project {
		t.Helper()
		p, err := config.Load(config.LoadOptions{WorkDir: dir, FileOptions: config.FileOptions{
			Files: []string{"compose.yaml", "compose.override.yaml", "debug.yaml"}, Profiles: profiles}})
		if err != nil {
			t.Fatalf("loading: %v", err)
		}
		return p
	}
	if _, err := env.Up(t.Context(), eng, load(), env.UpOptions{Progress: &recorder{}}); err != nil {
		t.Fatalf("up: %v", err)
	}
	labels := containerLabels(t, name, "test.")
	want := map[string]map[string]string{
		"web": {"test.from": "base", "test.kind": "web", "test.override": "yes"},
		"db":  {"test.from": "included"},
	}
	if diff := cmp.Diff(want, labels); diff != "" {
		t.Errorf("containers and their labels (-want +got):\n%s", diff)
	}

	if _, err := env.Up(t.Context(), eng, load("debug"), env.UpOptions{Progress: &recorder{}}); err != nil {
		t.Fatalf("up --profile debug: %v", err)
	}
	if _, ok := containerLabels(t, name, "test.")["debug"]; !ok {
		t.Errorf("the debug profile's service was not created")
	}
}

// containerLabels returns, per service of the project, its container's
// labels that start with prefix.
func containerLabels(t *testing.T, project, prefix string) map[string]map[string]string {
	t.Helper()
	eng := dockerEngine(t)
	obs, err := eng.Observe(t.Context(), project)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, c := range obs.Containers {
		m := map[string]string{}
		for k, v := range c.Labels {
			if strings.HasPrefix(k, prefix) {
				m[k] = v
			}
		}
		out[c.Service] = m
	}
	return out
}
