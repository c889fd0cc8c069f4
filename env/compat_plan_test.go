package env_test

import (
	"path"
	"path/filepath"
	"testing"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine/enginetest"
	"github.com/devenv-dev/devenv/internal/compattest"
)

// TestCompatSamplesPlan: every awesome-compose sample that loads (the
// config package's TestCompat holds them all to Docker Compose's
// resolution) is planned by up --dry-run on an empty engine: a step for
// each of its services, its declared networks and volumes, and nothing
// changed on the engine. Skipped where the samples are not beside the
// repository.
func TestCompatSamplesPlan(t *testing.T) {
	dir := compattest.Dir(t)
	for _, sample := range compattest.Files(t, dir) {
		t.Run(path.Dir(sample), func(t *testing.T) {
			p, err := config.Load(config.LoadOptions{
				File:      filepath.Join(dir, filepath.FromSlash(sample)),
				LookupEnv: func(k string) (string, bool) { return map[string]string{"HOME": "/home/dev"}[k], k == "HOME" },
			})
			if err != nil {
				t.Skipf("does not load (TestCompat in env/config lists why): %v", err)
			}
			f := enginetest.New()
			plan, err := env.Up(t.Context(), f, p, env.UpOptions{DryRun: true, Ports: noPorts{}})
			if err != nil {
				t.Fatalf("up --dry-run: %v", err)
			}
			planned := map[string]bool{}
			for _, st := range plan.Steps {
				planned[st.Service] = true
			}
			for _, name := range p.ActiveServices() {
				if !planned[name] {
					t.Errorf("service %s is not in the plan: %+v", name, plan.Steps)
				}
			}
			if calls := f.Calls(); len(calls) != 0 {
				t.Errorf("a dry run changed the engine: %v", calls)
			}
		})
	}
}
