package engine

import (
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"
	"github.com/docker/go-units"
	"github.com/google/go-cmp/cmp"
)

// TestCreateConfigRuntime checks the mapping of a RuntimeSpec onto the
// engine's create documents.
func TestCreateConfigRuntime(t *testing.T) {
	yes, secs, pids := true, 7, int64(9)
	spec := ContainerSpec{
		Name: "p-a", Image: "x", Entrypoint: []string{},
		Runtime: &RuntimeSpec{
			Expose: []string{"80", "90-91/udp"}, CapAdd: []string{"NET_ADMIN"}, Sysctls: map[string]string{"a.b": "1"},
			ShmSize: 1 << 20, Ulimits: []Ulimit{{Name: "nofile", Soft: 1, Hard: 2}}, Init: &yes, TTY: true,
			StopSignal: "SIGINT", StopTimeout: &secs, Devices: []string{"/dev/fuse", "/dev/a:/dev/b:r"},
			IPC: "container:p-b", Platform: "linux/arm64/v8", Memory: 5, NanoCPUs: 6, PidsLimit: &pids,
			LogDriver: "local", LogOptions: map[string]string{"max-size": "1m"}, Domainname: "d.test",
		},
	}
	cfg, host, _, err := createConfig(spec)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{""}, []string(cfg.Entrypoint)); diff != "" {
		t.Errorf("an empty entrypoint must clear the image's (-want +got):\n%s", diff)
	}
	wantPorts := nat.PortSet{"80/tcp": {}, "90/udp": {}, "91/udp": {}}
	if diff := cmp.Diff(wantPorts, cfg.ExposedPorts); diff != "" {
		t.Errorf("exposed ports (-want +got):\n%s", diff)
	}
	if !cfg.Tty || cfg.StopSignal != "SIGINT" || cfg.StopTimeout == nil || *cfg.StopTimeout != 7 || cfg.Domainname != "d.test" {
		t.Errorf("config = tty %v, stop %q %v, domain %q", cfg.Tty, cfg.StopSignal, cfg.StopTimeout, cfg.Domainname)
	}
	wantDevices := []container.DeviceMapping{
		{PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm"},
		{PathOnHost: "/dev/a", PathInContainer: "/dev/b", CgroupPermissions: "r"},
	}
	if diff := cmp.Diff(wantDevices, host.Devices); diff != "" {
		t.Errorf("devices (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]*units.Ulimit{{Name: "nofile", Soft: 1, Hard: 2}}, host.Ulimits); diff != "" {
		t.Errorf("ulimits (-want +got):\n%s", diff)
	}
	if host.IpcMode != "container:p-b" || host.Memory != 5 || host.NanoCPUs != 6 || *host.PidsLimit != 9 ||
		host.ShmSize != 1<<20 || !*host.Init || host.LogConfig.Type != "local" || host.Sysctls["a.b"] != "1" {
		t.Errorf("host config = %+v", host)
	}
	if p := platformOf(spec.Runtime); p == nil || p.OS != "linux" || p.Architecture != "arm64" || p.Variant != "v8" {
		t.Errorf("platform = %+v", p)
	}
	if cfg, _, _, _ := createConfig(ContainerSpec{Name: "p-b", Image: "x"}); cfg.Entrypoint != nil {
		t.Errorf("no entrypoint must keep the image's, got %q", cfg.Entrypoint)
	}
}
