package env_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/engine"
)

const resourcesYAML = `
name: res
services:
  db:
    image: x
    networks:
      back: {aliases: [store], ipv4_address: 172.30.0.10}
    volumes: ["data:/data", "/anon", "shared:/shared"]
  api:
    image: x
    networks:
      front: {priority: 5}
      back:
    links: ["db:database"]
    secrets: [token, {source: key, target: api.key, uid: "1000", gid: "100", mode: 0400}]
    configs: [{source: conf, target: /etc/app.conf}]
  sidecar:
    image: x
    network_mode: service:api
  web:
    image: x
    tmpfs: /run
    networks: [front, outside]
volumes:
  data: {driver: local, labels: {team: a}}
  shared: {external: true, name: team-shared}
networks:
  front:
  back:
    internal: true
    ipam: {config: [{subnet: 172.30.0.0/24}]}
  outside: {external: true}
secrets:
  token: {content: t0k3n}
  key: {file: ./key.pem}
configs:
  conf: {content: "a = 1\n"}
`

func TestResourcesPlan(t *testing.T) {
	p := parse(t, resourcesYAML)
	f := fakeWith(t, p, nil)
	plan, err := env.Up(t.Context(), f, p, env.UpOptions{DryRun: true, Ports: noPorts{}})
	if err != nil {
		t.Fatal(err)
	}
	want := `project res
  network res_back: create
  network res_front: create
  network outside: external
  volume team-shared: external
  volume res_data: create
  service api: create (no container) after db started
  service db: create (no container)
  service sidecar: create (no container) after api started
  service web: create (no container)
`
	if diff := cmp.Diff(want, plan.String()); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	if got := plan.Networks[0].Spec; !got.Internal || got.IPAM == nil || got.IPAM.Pools[0].Subnet != "172.30.0.0/24" {
		t.Errorf("back network spec %+v", got)
	}
	if got := plan.VolumeSpecs["res_data"]; got.Driver != "local" || got.Labels["team"] != "a" || got.Labels[engine.LabelVolume] != "data" {
		t.Errorf("data volume spec %+v", got)
	}
	specs := map[string]engine.ContainerSpec{}
	for _, s := range plan.Steps {
		specs[s.Service] = s.Desired.Spec
	}
	api := specs["api"]
	if api.Network != "res_front" || len(api.MoreNetworks) != 1 || api.MoreNetworks[0].Network != "res_back" {
		t.Errorf("api networks: primary %q, more %+v (front has the higher priority)", api.Network, api.MoreNetworks)
	}
	if diff := cmp.Diff([]string{"res-db:database"}, api.Links); diff != "" {
		t.Errorf("api links (-want +got):\n%s", diff)
	}
	wantFiles := []engine.FileSpec{
		{Path: "/run/secrets/token", Content: "t0k3n", Mode: 0o444},
		{Path: "/etc/app.conf", Content: "a = 1\n", Mode: 0o444},
	}
	if diff := cmp.Diff(wantFiles, api.Files); diff != "" {
		t.Errorf("api files (-want +got):\n%s", diff)
	}
	if m := api.Mounts; len(m) != 1 || m[0].Source != "/src/key.pem" || m[0].Target != "/run/secrets/api.key" || !m[0].ReadOnly {
		t.Errorf("a file secret is a read-only bind at its target: %+v", m)
	}
	db := specs["db"]
	if db.Network != "res_back" || db.IPv4Address != "172.30.0.10" || !slices.Contains(db.Aliases, "store") {
		t.Errorf("db endpoint %q %q %v", db.Network, db.IPv4Address, db.Aliases)
	}
	wantMounts := []engine.MountSpec{
		{Type: "volume", Source: "res_data", Target: "/data"},
		{Type: "volume", Target: "/anon"},
		{Type: "volume", Source: "team-shared", Target: "/shared"},
	}
	if diff := cmp.Diff(wantMounts, db.Mounts); diff != "" {
		t.Errorf("db mounts (-want +got):\n%s", diff)
	}
	if sc := specs["sidecar"]; sc.NetworkMode != "container:res-api" || sc.Network != "" {
		t.Errorf("sidecar network mode %q network %q", sc.NetworkMode, sc.Network)
	}
	if w := specs["web"]; w.Mounts[0].Type != "tmpfs" || w.MoreNetworks[0].Network != "outside" {
		t.Errorf("web mounts %+v networks %+v", w.Mounts, w.MoreNetworks)
	}
}

func TestResourcesUpCreatesOwnAndNeedsExternal(t *testing.T) {
	p := parse(t, resourcesYAML)
	f := fakeWith(t, p, nil)
	_, err := env.Up(t.Context(), f, p, env.UpOptions{Ports: noPorts{}})
	if err == nil || !strings.Contains(err.Error(), "external network outside does not exist") || !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("up without the external network: %v", err)
	}
	if _, err := f.NetworkCreate(t.Context(), engine.NetworkSpec{Name: "outside"}); err != nil {
		t.Fatal(err)
	}
	if err := f.VolumeCreate(t.Context(), engine.VolumeSpec{Name: "team-shared"}); err != nil {
		t.Fatal(err)
	}
	f.ResetCalls()
	if _, err := env.Up(t.Context(), f, p, env.UpOptions{Ports: noPorts{}}); err != nil {
		t.Fatal(err)
	}
	calls := f.Calls()
	for _, want := range []string{"network-create res_front", "network-create res_back", "volume-create res_data"} {
		if !slices.Contains(calls, want) {
			t.Errorf("calls %v lack %q", calls, want)
		}
	}
	// The engine needs api's container to exist before one can join its
	// network stack: the sidecar is not created early.
	if c, st := slices.Index(calls, "create res-sidecar"), slices.Index(calls, "start res-api"); c < st {
		t.Errorf("sidecar created (call %d) before api started (call %d): %v", c, st, calls)
	}
	for _, never := range []string{"network-create outside", "volume-create team-shared"} {
		if slices.Contains(calls, never) {
			t.Errorf("up created external %q", never)
		}
	}
	if err := env.Down(t.Context(), f, "res", env.DownOptions{Volumes: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.NetworkInspect(t.Context(), "outside"); err != nil {
		t.Errorf("down removed the external network: %v", err)
	}
	if _, err := f.VolumeInspect(t.Context(), "team-shared"); err != nil {
		t.Errorf("down -v removed the external volume: %v", err)
	}
	if _, err := f.VolumeInspect(t.Context(), "res_data"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("down -v kept the project's volume: %v", err)
	}
}

func TestResourceChangesRecreate(t *testing.T) {
	a := env.BuildDesired(parse(t, resourcesYAML), []string{"api", "db"}, nil)
	changed := strings.Replace(resourcesYAML, "t0k3n", "n3w", 1)
	changed = strings.Replace(changed, "172.30.0.10", "172.30.0.11", 1)
	b := env.BuildDesired(parse(t, changed), []string{"api", "db"}, nil)
	all := []string{"api", "db", "sidecar", "web"}
	c := env.BuildDesired(parse(t, resourcesYAML), all, nil)
	apiChanged := strings.Replace(resourcesYAML, "  api:\n    image: x\n", "  api:\n    image: x\n    environment: {A: 1}\n", 1)
	d := env.BuildDesired(parse(t, apiChanged), all, nil)
	for i, ds := range c.Services {
		changed := ds.Hash != d.Services[i].Hash
		if want := ds.Name == "api" || ds.Name == "sidecar"; changed != want {
			t.Errorf("%s: hash changed = %v, want %v (sidecar shares api's network stack)", ds.Name, changed, want)
		}
	}
	for i := range a.Services {
		if a.Services[i].Hash == b.Services[i].Hash {
			t.Errorf("service %s: a changed secret or address keeps the config hash", a.Services[i].Name)
		}
	}
}

func TestChangedNetworkSettingsStopUp(t *testing.T) {
	const yaml = "name: nw\nservices:\n  a: {image: x, networks: [back]}\nnetworks:\n  back: {internal: true}\n"
	p := parse(t, yaml)
	f := fakeWith(t, p, nil)
	if _, err := env.Up(t.Context(), f, p, env.UpOptions{Ports: noPorts{}}); err != nil {
		t.Fatal(err)
	}
	if plan, err := env.Up(t.Context(), f, p, env.UpOptions{Ports: noPorts{}}); err != nil || !plan.Empty() {
		t.Fatalf("second up with the same settings: %v\n%s", err, plan)
	}
	q := parse(t, strings.Replace(yaml, "internal: true", "internal: false", 1))
	plan, err := env.Up(t.Context(), f, q, env.UpOptions{DryRun: true, Ports: noPorts{}})
	if err != nil || !strings.Contains(plan.String(), "network nw_back: settings changed (run devenv down, then up)") {
		t.Errorf("dry run: %v\n%s", err, plan)
	}
	f.ResetCalls()
	_, err = env.Up(t.Context(), f, q, env.UpOptions{Ports: noPorts{}})
	if err == nil || !strings.Contains(err.Error(), "network nw_back was created with other settings") {
		t.Errorf("up with changed network settings: %v", err)
	}
	if calls := f.Calls(); slices.Contains(calls, "remove nw-a") {
		t.Errorf("up removed a container before refusing: %v", calls)
	}
}

// TestChangedVolumeSettingsStopUp: a volume created with other settings
// is named by the plan and up stops before touching anything, since the
// engine cannot change a volume and recreating it loses its data. A volume
// made before devenv labelled them is taken as current.
func TestChangedVolumeSettingsStopUp(t *testing.T) {
	const yaml = "name: vs\nservices:\n  a: {image: x, volumes: ['data:/d', 'old:/o']}\nvolumes:\n  data: {driver_opts: {type: tmpfs, device: tmpfs}}\n  old: {}\n"
	p := parse(t, yaml)
	f := fakeWith(t, p, nil)
	if err := f.VolumeCreate(t.Context(), engine.VolumeSpec{Name: "vs_old", Labels: map[string]string{engine.LabelProject: "vs"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Up(t.Context(), f, p, env.UpOptions{Ports: noPorts{}}); err != nil {
		t.Fatal(err)
	}
	if plan, err := env.Up(t.Context(), f, p, env.UpOptions{Ports: noPorts{}}); err != nil || !plan.Empty() {
		t.Fatalf("second up with the same settings: %v\n%s", err, plan)
	}
	q := parse(t, strings.Replace(yaml, "device: tmpfs", "device: tmpfs, o: size=1m", 1))
	plan, err := env.Up(t.Context(), f, q, env.UpOptions{DryRun: true, Ports: noPorts{}})
	if err != nil || !strings.Contains(plan.String(), "volume vs_data: settings changed") || strings.Contains(plan.String(), "vs_old") {
		t.Errorf("dry run: %v\n%s", err, plan)
	}
	f.ResetCalls()
	_, err = env.Up(t.Context(), f, q, env.UpOptions{Ports: noPorts{}})
	if err == nil || !strings.Contains(err.Error(), "volume vs_data was created with other settings") {
		t.Errorf("up with changed volume settings: %v", err)
	}
	for _, c := range f.Calls() {
		if strings.HasPrefix(c, "remove") || strings.HasPrefix(c, "create") || strings.HasPrefix(c, "stop") || strings.HasPrefix(c, "volume-") {
			t.Errorf("up changed the engine before refusing: %v", f.Calls())
			break
		}
	}
}
