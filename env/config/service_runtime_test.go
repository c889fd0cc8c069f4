package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func parseString(t *testing.T, src string) (*Project, error) {
	t.Helper()
	return Parse("/proj/envs.yaml", []byte(src), LoadOptions{LookupEnv: lookupIn(nil)})
}

// TestContainerSettingsForms checks the forms compose allows for one key
// give the same settings.
func TestContainerSettingsForms(t *testing.T) {
	yes := true
	grace := 3 * time.Second
	pids := int64(7)
	tests := []struct {
		name    string
		svc     string // the service's keys besides image, as flow YAML
		want    ContainerSettings
		restart string
	}{
		{name: "sysctls mapping", svc: `sysctls: {net.core.somaxconn: 1024}`,
			want: ContainerSettings{Sysctls: map[string]string{"net.core.somaxconn": "1024"}}},
		{name: "sysctls list", svc: `sysctls: [net.core.somaxconn=1024]`,
			want: ContainerSettings{Sysctls: map[string]string{"net.core.somaxconn": "1024"}}},
		{name: "ulimit single", svc: `ulimits: {nofile: 1024}`,
			want: ContainerSettings{Ulimits: map[string]Ulimit{"nofile": {1024, 1024}}}},
		{name: "ulimit soft hard", svc: `ulimits: {nofile: {soft: 1, hard: 2}}`,
			want: ContainerSettings{Ulimits: map[string]Ulimit{"nofile": {1, 2}}}},
		{name: "dns string", svc: `dns: 8.8.8.8`, want: ContainerSettings{DNS: []string{"8.8.8.8"}}},
		{name: "caps normalized", svc: `cap_add: [cap_net_admin, NET_ADMIN]`, want: ContainerSettings{CapAdd: []string{"NET_ADMIN"}}},
		{name: "sizes", svc: `{shm_size: 1k, mem_limit: 2mb, memswap_limit: -1}`,
			want: ContainerSettings{ShmSize: 1024, MemLimit: 2 << 20, MemswapLimit: -1}},
		{name: "cpus number", svc: `cpus: 0.25`, want: ContainerSettings{NanoCPUs: 250_000_000}},
		{name: "deploy limits", svc: `deploy: {resources: {limits: {cpus: "2", memory: 1g, pids: 7}, reservations: {memory: 1m}}}`,
			want: ContainerSettings{NanoCPUs: 2e9, MemLimit: 1 << 30, MemReservation: 1 << 20, PidsLimit: &pids}},
		{name: "deploy agrees with mem_limit", svc: `{mem_limit: 1g, deploy: {resources: {limits: {memory: 1024m}}}}`,
			want: ContainerSettings{MemLimit: 1 << 30}},
		{name: "flags", svc: `{init: true, stop_grace_period: 3s}`, want: ContainerSettings{Init: &yes, StopGracePeriod: &grace}},
		{name: "restart_policy any", svc: `deploy: {restart_policy: {}}`, restart: "always"},
		{name: "restart_policy none", svc: `deploy: {restart_policy: {condition: none}}`, restart: "no"},
		{name: "restart_policy on-failure", svc: `deploy: {restart_policy: {condition: on-failure, max_attempts: 2}}`, restart: "on-failure:2"},
		{name: "restart wins", svc: `{restart: unless-stopped, deploy: {restart_policy: {condition: none}}}`, restart: "unless-stopped"},
		{name: "scale one", svc: `{scale: 1, deploy: {replicas: 1}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := tt.svc
			if !strings.HasPrefix(svc, "{") {
				svc = "{" + svc + "}"
			}
			p, err := parseString(t, "name: p\nservices:\n  a: "+svc[:len(svc)-1]+", image: a}\n")
			if err != nil {
				t.Fatal(err)
			}
			s := p.Services["a"]
			if diff := cmp.Diff(tt.want, s.ContainerSettings); diff != "" {
				t.Errorf("settings (-want +got):\n%s", diff)
			}
			if tt.restart == "" {
				tt.restart = "no"
			}
			if s.Restart != tt.restart {
				t.Errorf("restart = %q, want %q", s.Restart, tt.restart)
			}
		})
	}
}

// TestDeployWarnings checks that each swarm-only key is accepted with one
// warning that names it at its position.
func TestDeployWarnings(t *testing.T) {
	p, err := parseString(t, `name: p
services:
  a:
    image: a
    deploy:
      mode: global
      labels: {tier: web}
      placement: {constraints: [node.role==manager]}
      update_config: {parallelism: 2}
      rollback_config: {parallelism: 1}
      endpoint_mode: vip
      resources:
        reservations:
          cpus: "0.5"
          devices: [{capabilities: [gpu]}]
      restart_policy: {delay: 5s, window: 1m}
`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range p.Warnings {
		got = append(got, w.Error())
	}
	want := []string{
		`/proj/envs.yaml:6:13: service "a" deploy mode "global" is ignored: devenv runs one container per service on one local engine`,
		`/proj/envs.yaml:7:15: service "a" deploy labels is ignored: it labels the swarm service, not the container (use labels: for that), and devenv runs on one local engine`,
		`/proj/envs.yaml:8:18: service "a" deploy placement is ignored: it places replicas on swarm nodes, and devenv runs on one local engine`,
		`/proj/envs.yaml:9:22: service "a" deploy update_config is ignored: it configures swarm rolling updates, and devenv runs on one local engine`,
		`/proj/envs.yaml:10:24: service "a" deploy rollback_config is ignored: it configures swarm rollbacks, and devenv runs on one local engine`,
		`/proj/envs.yaml:11:22: service "a" deploy endpoint_mode is ignored: it chooses how a swarm load-balances a service, and devenv runs on one local engine`,
		`/proj/envs.yaml:14:17: service "a" deploy resources reservations cpus is ignored: a local engine has no CPU reservation (use cpus: or cpu_shares: to limit or weight CPU)`,
		`/proj/envs.yaml:15:20: service "a" deploy resources reservations devices is ignored: devenv does not request devices from the engine (use devices: to map a host device)`,
		`/proj/envs.yaml:16:31: service "a" deploy restart_policy delay is ignored: the engine restarts at once, backing off on its own`,
		`/proj/envs.yaml:16:43: service "a" deploy restart_policy window is ignored: the engine restarts at once, backing off on its own`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestOptionalDependency checks that required: false drops a dependency on
// an undeclared service, and keeps one on a declared service.
func TestOptionalDependency(t *testing.T) {
	p, err := parseString(t, `name: p
services:
  a:
    image: a
    depends_on:
      gone: {required: false}
      b: {required: false, restart: true}
  b: {image: b}
`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Dependency{"b": {Condition: ServiceStarted, Optional: true, Restart: true}}
	if diff := cmp.Diff(want, p.Services["a"].DependsOn); diff != "" {
		t.Errorf("depends_on (-want +got):\n%s", diff)
	}
}

// TestEnvFileLongForm checks required: false and format: raw.
func TestEnvFileLongForm(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "raw.env"), []byte("# note\nQUOTED='kept' # too\nPLAIN=a b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `
name: p
services:
  a:
    image: a
    env_file:
      - {path: ./raw.env, format: raw}
      - {path: ./absent.env, required: false}
`
	p, err := Parse(filepath.Join(dir, "envs.yaml"), []byte(src), LoadOptions{LookupEnv: lookupIn(nil)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"QUOTED": "'kept' # too", "PLAIN": "a b"}
	if diff := cmp.Diff(want, p.Services["a"].Environment); diff != "" {
		t.Errorf("environment (-want +got):\n%s", diff)
	}
}
