package env

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

var update = flag.Bool("update", false, "rewrite golden files")

// sampleProject is a small stack: web -> api -> db (healthy), api -> migrate (completed).
func sampleProject() *config.Project {
	hc := &config.Healthcheck{Test: []string{"CMD", "/app", "health"}, Interval: time.Second, Timeout: time.Second, Retries: 3}
	return &config.Project{
		Name: "shop", Dir: "/src/shop", File: "/src/shop/envs.yaml",
		Environments: map[string][]string{"default": {"web"}},
		Services: map[string]*config.Service{
			"db": {Name: "db", Image: "db:1", Healthcheck: hc,
				Volumes: []config.Mount{{Type: config.MountVolume, Source: "data", Target: "/data"}}},
			"migrate": {Name: "migrate", Image: "db:1", Command: []string{"migrate"},
				DependsOn: map[string]config.Dependency{"db": {Condition: config.ServiceHealthy}}},
			"api": {Name: "api", Image: "api:1", Healthcheck: hc, Environment: map[string]string{"DB": "db:5432"},
				DependsOn: map[string]config.Dependency{
					"db":      {Condition: config.ServiceHealthy},
					"migrate": {Condition: config.ServiceCompletedSuccessfully},
				}},
			"web": {Name: "web", Image: "web:1",
				Ports:     []config.Port{{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}},
				DependsOn: map[string]config.Dependency{"api": {Condition: config.ServiceStarted}}},
		},
	}
}

var sampleImages = map[string]string{"db:1": "sha256:d1", "api:1": "sha256:a1", "web:1": "sha256:w1"}

func allSelected() []string { return []string{"api", "db", "migrate", "web"} }

// running turns a desired service into the container a previous up left.
func running(ds DesiredService) engine.Container {
	return engine.Container{
		ID: "id-" + ds.Name, Name: ds.Spec.Name, Project: "shop", Service: ds.Name,
		ConfigHash: ds.Hash, ImageID: ds.ImageID, State: "running", Labels: ds.Spec.Labels,
	}
}

func converged(d Desired) *engine.Observed {
	o := &engine.Observed{
		Networks: []engine.Network{{ID: "n1", Name: d.Network}},
		Volumes:  []engine.Volume{{Name: "shop_data"}},
	}
	for _, ds := range d.Services {
		c := running(ds)
		if ds.Name == "migrate" {
			c.State, c.ExitCode = "exited", 0
		}
		o.Containers = append(o.Containers, c)
	}
	return o
}

func TestMakePlan(t *testing.T) {
	p := sampleProject()
	d := BuildDesired(p, allSelected(), sampleImages)
	tests := []struct {
		name  string
		obs   func() *engine.Observed
		desir func() Desired
		empty bool
	}{
		{name: "fresh", obs: func() *engine.Observed { return &engine.Observed{} }},
		{name: "noop", obs: func() *engine.Observed { return converged(d) }, empty: true},
		{name: "one-changed", obs: func() *engine.Observed { return converged(d) }, desir: func() Desired {
			q := sampleProject()
			q.Services["api"].Environment["DB"] = "db:5433"
			return BuildDesired(q, allSelected(), sampleImages)
		}},
		{name: "image-changed", obs: func() *engine.Observed { return converged(d) }, desir: func() Desired {
			imgs := map[string]string{"db:1": "sha256:d1", "api:1": "sha256:a2", "web:1": "sha256:w1"}
			return BuildDesired(sampleProject(), allSelected(), imgs)
		}},
		{name: "orphan-and-stopped", obs: func() *engine.Observed {
			o := converged(d)
			o.Containers[3].State = "exited"
			o.Containers[3].ExitCode = 137
			o.Containers = append(o.Containers, engine.Container{ID: "id-old", Name: "shop-cache", Service: "cache", State: "running"})
			return o
		}},
		{name: "interrupted-run", obs: func() *engine.Observed {
			// a run killed after creating web but before starting it, with a
			// duplicate network from two concurrent runs
			o := converged(d)
			o.Containers = o.Containers[:3]
			o.Networks = append(o.Networks, engine.Network{ID: "n0", Name: d.Network})
			w := running(d.Services[3])
			w.State = "created"
			o.Containers = append(o.Containers, w)
			return o
		}},
		{name: "subset", obs: func() *engine.Observed { return &engine.Observed{} }, desir: func() Desired {
			return BuildDesired(sampleProject(), []string{"db"}, sampleImages)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := d
			if tt.desir != nil {
				want = tt.desir()
			}
			plan := MakePlan(want, tt.obs())
			if plan.Empty() != tt.empty {
				t.Errorf("Empty() = %v, want %v", plan.Empty(), tt.empty)
			}
			golden(t, filepath.Join("testdata", "plans", tt.name+".golden"), plan.String())
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func TestHashIgnoresMapOrderAndTracksChanges(t *testing.T) {
	a := BuildDesired(sampleProject(), allSelected(), sampleImages)
	b := BuildDesired(sampleProject(), allSelected(), sampleImages)
	for i := range a.Services {
		if a.Services[i].Hash != b.Services[i].Hash {
			t.Errorf("hash of %s not stable: %s vs %s", a.Services[i].Name, a.Services[i].Hash, b.Services[i].Hash)
		}
	}
	q := sampleProject()
	q.Services["web"].Ports[0].HostPort = 8081
	c := BuildDesired(q, allSelected(), sampleImages)
	for i := range a.Services {
		changed := a.Services[i].Hash != c.Services[i].Hash
		if changed != (a.Services[i].Name == "web") {
			t.Errorf("service %s: hash changed = %v", a.Services[i].Name, changed)
		}
	}
}

func TestDesiredSpec(t *testing.T) {
	d := BuildDesired(sampleProject(), allSelected(), sampleImages)
	api := d.Services[0]
	if api.Name != "api" {
		t.Fatalf("services not sorted: first is %s", api.Name)
	}
	if diff := cmp.Diff([]string{"api"}, api.Spec.Aliases); diff != "" {
		t.Errorf("aliases: %s", diff)
	}
	if api.Spec.Network != "shop_default" || api.Spec.Name != "shop-api" {
		t.Errorf("network %q name %q", api.Spec.Network, api.Spec.Name)
	}
	if !d.Services[2].OneShot {
		t.Errorf("migrate should be a one-shot (api waits for it to complete)")
	}
	if diff := cmp.Diff([]string{"shop_data"}, d.Volumes); diff != "" {
		t.Errorf("volumes: %s", diff)
	}
	if got := d.Services[1].Spec.Mounts[0].Source; got != "shop_data" {
		t.Errorf("volume mount source %q", got)
	}
}
