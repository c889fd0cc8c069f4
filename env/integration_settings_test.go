package env_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/internal/testutil"
)

// TestContainerSettingsOnTheEngine brings up a service with a representative
// set of container settings and reads them back from the engine.
func TestContainerSettingsOnTheEngine(t *testing.T) {
	eng := dockerEngine(t)
	p := project(t, eng, `
name: NAME
services:
  app:
    image: IMAGE
    command: ["-heartbeat", "100ms"]
    container_name: NAME-custom
    cap_add: [NET_ADMIN]
    cap_drop: [MKNOD]
    sysctls: {net.core.somaxconn: 1024}
    shm_size: 64m
    ulimits: {nofile: {soft: 1000, hard: 2000}}
    init: true
    read_only: true
    dns: [10.0.0.53]
    dns_search: [example.test]
    stop_signal: SIGINT
    stop_grace_period: 7s
    mem_limit: 64m
    cpus: 0.5
    pids_limit: 50
    labels: {com.example.tier: app}
    expose: ["9000"]
    domainname: example.test
    logging: {driver: json-file, options: {max-size: 1m}}
    healthcheck: {test: ["CMD", "/app", "health"], interval: 1s, start_interval: 500ms}
  term:
    image: IMAGE
    command: ["-heartbeat", "100ms"]
    tty: true
    stdin_open: true
`)
	if _, err := env.Up(t.Context(), eng, p, env.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := eng.Client().ContainerInspect(t.Context(), p.Name+"-custom")
	if err != nil {
		t.Fatalf("the container is not named by container_name: %v", err)
	}
	h, c := got.HostConfig, got.Config
	limit := func(name string) [2]int64 {
		for _, u := range h.Ulimits {
			if u.Name == name {
				return [2]int64{u.Soft, u.Hard}
			}
		}
		return [2]int64{}
	}
	_, exposed := c.ExposedPorts["9000/tcp"]
	type view struct {
		CapAdd, CapDrop, DNS, DNSSearch []string
		Sysctl, Label, StopSignal       string
		Domain, LogDriver, LogSize      string
		Shm, Memory, NanoCPUs, Pids     int64
		NoFile                          [2]int64
		Init, ReadOnly, Exposed         bool
		StopTimeout                     int
	}
	// The engine writes capabilities with their CAP_ prefix.
	v := view{
		CapAdd: h.CapAdd, CapDrop: h.CapDrop, DNS: h.DNS, DNSSearch: h.DNSSearch,
		Sysctl: h.Sysctls["net.core.somaxconn"], Label: c.Labels["com.example.tier"], StopSignal: c.StopSignal,
		Domain: c.Domainname, LogDriver: h.LogConfig.Type, LogSize: h.LogConfig.Config["max-size"],
		Shm: h.ShmSize, Memory: h.Memory, NanoCPUs: h.NanoCPUs, NoFile: limit("nofile"),
		ReadOnly: h.ReadonlyRootfs, Exposed: exposed,
	}
	if h.PidsLimit != nil {
		v.Pids = *h.PidsLimit
	}
	if h.Init != nil {
		v.Init = *h.Init
	}
	if c.StopTimeout != nil {
		v.StopTimeout = *c.StopTimeout
	}
	want := view{
		CapAdd: []string{"CAP_NET_ADMIN"}, CapDrop: []string{"CAP_MKNOD"}, DNS: []string{"10.0.0.53"}, DNSSearch: []string{"example.test"},
		Sysctl: "1024", Label: "app", StopSignal: "SIGINT", Domain: "example.test", LogDriver: "json-file", LogSize: "1m",
		Shm: 64 << 20, Memory: 64 << 20, NanoCPUs: 5e8, Pids: 50, NoFile: [2]int64{1000, 2000},
		Init: true, ReadOnly: true, Exposed: true, StopTimeout: 7,
	}
	if diff := cmp.Diff(want, v); diff != "" {
		t.Errorf("container as the engine has it (-want +got):\n%s", diff)
	}
	if !got.State.Running {
		t.Errorf("the container is %s, want running", got.State.Status)
	}
}

// TestLogsOfATTYContainer checks that the log of a container with tty: true,
// which the engine sends unframed, reads as lines.
func TestLogsOfATTYContainer(t *testing.T) {
	eng := dockerEngine(t)
	p := project(t, eng, `
name: NAME
services:
  term:
    image: IMAGE
    command: ["-heartbeat", "50ms"]
    tty: true
    stdin_open: true
`)
	if _, err := env.Up(t.Context(), eng, p, env.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	deadline := time.After(testutil.Scaled(10 * time.Second))
	lines, errs := eng.ContainerLogs(ctx, containerIDs(t, eng, p.Name)["term"], engine.LogOptions{Follow: true, Timestamps: true})
	for {
		select {
		case l := <-lines:
			if strings.Contains(l.Text, "heartbeat") {
				if l.Stream != "stdout" || l.Time.IsZero() || strings.ContainsAny(l.Text, "\r\n") {
					t.Errorf("tty log line %+v: want stdout, a time and no line ends", l)
				}
				return
			}
		case err := <-errs:
			t.Fatalf("logs ended before a heartbeat line: %v", err)
		case <-deadline:
			t.Fatal("no heartbeat line in the tty log within 10 s")
		}
	}
}
