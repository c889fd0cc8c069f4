package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/go-connections/nat"
	"github.com/google/go-cmp/cmp"
)

func TestParseRestart(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    container.RestartPolicy
		wantErr bool
	}{
		{"empty", "", container.RestartPolicy{Name: "no"}, false},
		{"no", "no", container.RestartPolicy{Name: "no"}, false},
		{"always", "always", container.RestartPolicy{Name: "always"}, false},
		{"unless-stopped", "unless-stopped", container.RestartPolicy{Name: "unless-stopped"}, false},
		{"on-failure", "on-failure", container.RestartPolicy{Name: "on-failure"}, false},
		{"on-failure count", "on-failure:5", container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 5}, false},
		{"bad count", "on-failure:x", container.RestartPolicy{}, true},
		{"count on always", "always:3", container.RestartPolicy{}, true},
		{"unknown", "sometimes", container.RestartPolicy{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRestart(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseRestart(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseRestart(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestCreateConfig(t *testing.T) {
	spec := ContainerSpec{
		Name:       "sample-web",
		Image:      "web:1",
		Command:    []string{"serve"},
		Env:        []string{"A=1"},
		Labels:     map[string]string{LabelProject: "sample"},
		ExtraHosts: []string{"host.docker.internal:host-gateway"},
		Ports: []PublishedPort{
			{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80},
			{ContainerPort: 53, Protocol: "udp"},
		},
		Mounts: []MountSpec{
			{Type: "volume", Source: "sample_data", Target: "/data"},
			{Type: "bind", Source: "/src", Target: "/src", ReadOnly: true},
		},
		Healthcheck: &HealthSpec{Test: []string{"CMD", "/app", "health"}, Interval: time.Second, Retries: 3},
		Restart:     "on-failure:2",
		Network:     "sample-net",
		Aliases:     []string{"web"},
	}
	cfg, host, netCfg, err := createConfig(spec, "1.41")
	if err != nil {
		t.Fatal(err)
	}
	wantExposed := nat.PortSet{"80/tcp": {}, "53/udp": {}}
	if diff := cmp.Diff(wantExposed, cfg.ExposedPorts); diff != "" {
		t.Errorf("exposed ports (-want +got):\n%s", diff)
	}
	wantBindings := nat.PortMap{
		"80/tcp": {{HostIP: "127.0.0.1", HostPort: "8080"}},
		"53/udp": {{}},
	}
	if diff := cmp.Diff(wantBindings, host.PortBindings); diff != "" {
		t.Errorf("port bindings (-want +got):\n%s", diff)
	}
	wantMounts := []mount.Mount{
		{Type: mount.TypeVolume, Source: "sample_data", Target: "/data"},
		{Type: mount.TypeBind, Source: "/src", Target: "/src", ReadOnly: true},
	}
	if diff := cmp.Diff(wantMounts, host.Mounts); diff != "" {
		t.Errorf("mounts (-want +got):\n%s", diff)
	}
	if host.NetworkMode != "sample-net" || host.RestartPolicy.MaximumRetryCount != 2 {
		t.Errorf("network mode %q, restart %+v", host.NetworkMode, host.RestartPolicy)
	}
	if diff := cmp.Diff([]string{"web"}, netCfg.EndpointsConfig["sample-net"].Aliases); diff != "" {
		t.Errorf("aliases (-want +got):\n%s", diff)
	}
	if cfg.Healthcheck == nil || cfg.Healthcheck.Interval != time.Second || cfg.Healthcheck.Retries != 3 {
		t.Errorf("healthcheck %+v", cfg.Healthcheck)
	}

	spec.Mounts = []MountSpec{{Type: "npipe", Target: "/tmp"}}
	if _, _, _, err := createConfig(spec, "1.41"); err == nil {
		t.Error("npipe mount accepted, want an error")
	}
}

func TestMountConfig(t *testing.T) {
	specs := []MountSpec{
		{Type: "bind", Source: "/h", Target: "/a", ReadOnly: true, SELinux: "Z", CreateHostPath: true},
		{Type: "bind", Source: "/h", Target: "/b", CreateHostPath: true},
		{Type: "bind", Source: "/h", Target: "/c", Propagation: "rshared"},
		{Type: "volume", Target: "/anon"},
		{Type: "volume", Source: "v", Target: "/d", NoCopy: true},
		{Type: "tmpfs", Target: "/t", TmpfsSize: 1 << 20, TmpfsMode: 0o1777},
	}
	mounts, binds, err := mountConfig(specs, "1.41")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/h:/a:ro,Z", "/h:/b"}, binds); diff != "" {
		t.Errorf("binds (-want +got):\n%s", diff)
	}
	want := []mount.Mount{
		{Type: mount.TypeBind, Source: "/h", Target: "/c", BindOptions: &mount.BindOptions{Propagation: "rshared"}},
		{Type: mount.TypeVolume, Target: "/anon"},
		{Type: mount.TypeVolume, Source: "v", Target: "/d", VolumeOptions: &mount.VolumeOptions{NoCopy: true}},
		{Type: mount.TypeTmpfs, Target: "/t", TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 1 << 20, Mode: 0o1777}},
	}
	if diff := cmp.Diff(want, mounts); diff != "" {
		t.Errorf("mounts (-want +got):\n%s", diff)
	}
	sub := []MountSpec{{Type: "volume", Source: "v", Target: "/d", Subpath: "logs"}}
	if _, _, err := mountConfig(sub, "1.41"); err == nil || !strings.Contains(err.Error(), "1.45") {
		t.Errorf("subpath on API 1.41: err = %v, want one naming API 1.45", err)
	}
	if m, _, err := mountConfig(sub, "1.45"); err != nil || m[0].VolumeOptions.Subpath != "logs" {
		t.Errorf("subpath on API 1.45: %+v, %v", m, err)
	}
}

func TestFromSummary(t *testing.T) {
	tests := []struct {
		name   string
		status string
		state  string
		health string
		exit   int
	}{
		{"healthy", "Up 5 seconds (healthy)", "running", "healthy", 0},
		{"unhealthy", "Up 2 minutes (unhealthy)", "running", "unhealthy", 0},
		{"starting", "Up 1 second (health: starting)", "running", "starting", 0},
		{"no check", "Up 1 second", "running", "", 0},
		{"exited", "Exited (137) 3 seconds ago", "exited", "", 137},
		{"created", "Created", "created", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fromSummary(container.Summary{
				ID: "abc", Names: []string{"/other/alias", "/sample-web"}, State: tt.state, Status: tt.status,
				Labels: map[string]string{LabelProject: "sample", LabelService: "web", LabelConfigHash: "h"},
				Ports: []container.Port{
					{IP: "0.0.0.0", PrivatePort: 80, PublicPort: 8080, Type: "tcp"},
					{PrivatePort: 443, Type: "tcp"},
				},
			})
			want := Container{
				ID: "abc", Name: "sample-web", Project: "sample", Service: "web", ConfigHash: "h",
				State: tt.state, Health: tt.health, ExitCode: tt.exit,
				Ports:  []PublishedPort{{HostIP: "0.0.0.0", HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}},
				Labels: map[string]string{LabelProject: "sample", LabelService: "web", LabelConfigHash: "h"},
			}
			if diff := cmp.Diff(want, c); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestToEvent(t *testing.T) {
	at := time.Unix(1700000000, 5)
	actor := func(attrs map[string]string) events.Actor {
		attrs[LabelService] = "web"
		return events.Actor{ID: "abc", Attributes: attrs}
	}
	tests := []struct {
		name string
		msg  events.Message
		want Event
		ok   bool
	}{
		{"start", events.Message{Action: "start", Actor: actor(map[string]string{}), TimeNano: at.UnixNano()},
			Event{ContainerID: "abc", Service: "web", Action: "start", Time: at}, true},
		{"health", events.Message{Action: "health_status: healthy", Actor: actor(map[string]string{}), TimeNano: at.UnixNano()},
			Event{ContainerID: "abc", Service: "web", Action: "health_status", Health: "healthy", Time: at}, true},
		{"die", events.Message{Action: "die", Actor: actor(map[string]string{"exitCode": "3"}), Time: 1700000000},
			Event{ContainerID: "abc", Service: "web", Action: "die", ExitCode: 3, Time: time.Unix(1700000000, 0)}, true},
		{"exec", events.Message{Action: "exec_start: /app health", Actor: actor(map[string]string{})},
			Event{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := toEvent(tt.msg)
			if ok != tt.ok {
				t.Fatalf("kept %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// frame builds one frame of the engine's multiplexed stream.
func frame(stream byte, payload string) []byte {
	hdr := make([]byte, 8)
	hdr[0] = stream
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(payload)))
	return append(hdr, payload...)
}

func TestLogReader(t *testing.T) {
	t1 := time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)
	ts := t1.Format(time.RFC3339Nano) + " "
	var stream bytes.Buffer
	stream.Write(frame(1, ts+"hello\n"))
	stream.Write(frame(2, ts+"part one "))
	stream.Write(frame(1, ts+"\n"))
	stream.Write(frame(2, ts+"and two\n"))
	stream.Write(frame(1, ts+"no newline at end"))

	lines := make(chan LogLine, 10)
	lr := logReader{timestamps: true}
	if err := lr.read(t.Context(), &stream, lines); err != nil {
		t.Fatal(err)
	}
	close(lines)
	var got []LogLine
	for l := range lines {
		got = append(got, l)
	}
	want := []LogLine{
		{Stream: "stdout", Text: "hello", Time: t1},
		{Stream: "stdout", Text: "", Time: t1},
		{Stream: "stderr", Text: "part one and two", Time: t1},
		{Stream: "stdout", Text: "no newline at end", Time: t1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLogReaderStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	lr := logReader{}
	err := lr.read(ctx, bytes.NewReader(frame(1, "a\n")), make(chan LogLine))
	if err == nil {
		t.Error("read with no reader and a cancelled ctx returned nil")
	}
}

func TestDrainPull(t *testing.T) {
	ok := `{"status":"Pulling from x"}` + "\n" + `{"status":"Download complete"}`
	if err := drainPull(strings.NewReader(ok)); err != nil {
		t.Errorf("clean pull: %v", err)
	}
	bad := `{"status":"Pulling"}` + "\n" + `{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}`
	if err := drainPull(strings.NewReader(bad)); err == nil || err.Error() != "manifest unknown" {
		t.Errorf("failed pull: %v, want manifest unknown", err)
	}
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 4}
	b.Write([]byte("ab"))
	b.Write([]byte("cde"))
	if b.String() != "bcde" {
		t.Errorf("got %q, want bcde", b.String())
	}
	b.Write([]byte("0123456"))
	if b.String() != "3456" {
		t.Errorf("got %q, want 3456", b.String())
	}
}

func TestCurrentContextEndpoint(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	t.Setenv("DOCKER_CONTEXT", "")
	write := func(path, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ep, err := currentContextEndpoint()
	if err != nil || ep != (contextEndpoint{}) {
		t.Errorf("no config: %+v %v, want zero endpoint", ep, err)
	}
	write(filepath.Join(dir, "config.json"), `{"currentContext":"remote"}`)
	sum := sha256.Sum256([]byte("remote")) // the CLI names a context's directory so
	id := hex.EncodeToString(sum[:])
	write(filepath.Join(dir, "contexts", "meta", id, "meta.json"),
		`{"Name":"remote","Endpoints":{"docker":{"Host":"tcp://10.0.0.1:2376","SkipTLSVerify":false}}}`)
	ep, err = currentContextEndpoint()
	if err != nil || ep.Host != "tcp://10.0.0.1:2376" || ep.TLSDir != "" {
		t.Errorf("remote context: %+v %v", ep, err)
	}
	t.Setenv("DOCKER_CONTEXT", "missing")
	if _, err := currentContextEndpoint(); err == nil {
		t.Error("missing context: no error")
	}
	t.Setenv("DOCKER_CONTEXT", "default")
	if ep, err := currentContextEndpoint(); err != nil || ep != (contextEndpoint{}) {
		t.Errorf("default context: %+v %v", ep, err)
	}
}
