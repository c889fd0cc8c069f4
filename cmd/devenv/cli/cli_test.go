package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/images"
)

func runCLI(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	var out, errb bytes.Buffer
	code = Run(t.Context(), args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

func writeFile(t *testing.T, dir, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestConfigPrintsResolvedFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "envs.yaml", "name: demo\nservices:\n  web:\n    image: ${IMG:-nginx}:1\n")
	out, errOut, code := runCLI(t, dir, "config")
	if code != 0 || !strings.Contains(out, "image: nginx:1") {
		t.Errorf("config: code %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	out, _, code = runCLI(t, dir, "config", "--schema")
	if code != 0 || !strings.Contains(out, `"$schema"`) {
		t.Errorf("config --schema: code %d, output starts %.80q", code, out)
	}
}

func TestUsageAndConfigErrorsExitTwo(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "envs.yaml", "name: demo\nservices:\n  web:\n    imag: x\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"invalid file", []string{"up"}, "envs.yaml:4:5"},
		{"unknown flag", []string{"up", "--bogus"}, "unknown flag"},
		{"bad progress", []string{"--progress", "fancy", "down"}, "--progress"},
		{"bad pull", []string{"up", "--pull", "sometimes"}, "--pull"},
		{"bad ps output", []string{"ps", "-o", "yaml"}, "--output"},
		{"bad up output", []string{"up", "-o", "yaml"}, "--output"},
		{"bad project name", []string{"-p", "Bad Name", "down"}, "--project-name"},
		{"unknown command", []string{"nosuch"}, "unknown command"},
		{"extra argument", []string{"ps", "extra"}, "extra"},
		{"missing file", []string{"-f", "nowhere.yaml", "ps"}, "nowhere.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, dir, tt.args...)
			if code != ExitUsage || !strings.Contains(errOut, tt.want) {
				t.Errorf("code %d (want %d), stderr %q should contain %q", code, ExitUsage, errOut, tt.want)
			}
		})
	}
}

func TestUnknownEnvironmentExitsTwo(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "envs.yaml", "name: demo\nenvironments:\n  dev: [web]\nservices:\n  web:\n    image: x\n")
	_, errOut, code := runCLI(t, dir, "up", "stage")
	if code != ExitUsage || !strings.Contains(errOut, `unknown environment "stage"`) || !strings.Contains(errOut, `"dev"`) {
		t.Errorf("code %d, stderr %q", code, errOut)
	}
}

func TestExitCodes(t *testing.T) {
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want int
	}{
		{"engine", ctx, &engine.UnreachableError{Host: "unix:///x"}, ExitEngine},
		{"service", ctx, &env.UpError{Failed: []*env.ServiceError{{Service: "db"}}}, ExitService},
		{"port", ctx, &env.PortError{}, ExitPort},
		{"interrupted", cancelled, context.Canceled, ExitInterrupted},
		{"other", ctx, os.ErrPermission, ExitError},
	}
	for _, tt := range tests {
		if got := exitCode(tt.ctx, tt.err); got != tt.want {
			t.Errorf("%s: exit code %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestPlainProgressLines(t *testing.T) {
	var b bytes.Buffer
	p := &plainProgress{w: &b}
	p.Report(env.Event{Kind: env.KindNetwork, Name: "demo_default", Status: env.StatusCreated})
	p.Report(env.Event{Kind: env.KindService, Name: "api", Status: env.StatusWaiting, Detail: "for db to be healthy"})
	p.Report(env.Event{Kind: env.KindService, Name: "db", Status: env.StatusFailed, Detail: "exited with code 3"})
	want := "network demo_default: created\nservice api: waiting for db to be healthy\nservice db: failed (exited with code 3)\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("plain progress (-want +got):\n%s", diff)
	}
}

func TestJSONProgress(t *testing.T) {
	var b bytes.Buffer
	p := &jsonProgress{w: &b}
	p.Report(env.Event{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Kind: env.KindService, Name: "db", Status: env.StatusHealthy})
	want := `{"time":"2026-01-02T03:04:05Z","kind":"service","name":"db","status":"healthy"}` + "\n"
	if b.String() != want {
		t.Errorf("got %s want %s", b.String(), want)
	}
}

func TestTTYProgressRedrawsInPlace(t *testing.T) {
	var b bytes.Buffer
	p := newTTYProgress(&b, false)
	p.Report(env.Event{Time: time.Now(), Kind: env.KindService, Name: "db", Status: env.StatusStarting})
	p.Report(env.Event{Time: time.Now(), Kind: env.KindService, Name: "db", Status: env.StatusHealthy})
	p.Close()
	out := b.String()
	if !strings.Contains(out, "✔ service  db") || strings.Contains(out, "\x1b[3") {
		t.Errorf("final frame should mark db done, without color: %q", out)
	}
}

func TestPsTable(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	rows := []env.ServiceStatus{
		{Service: "db", State: "running", Health: "healthy", Image: "db:1", ImageID: "0123456789ab", StartedAt: now.Add(-90 * time.Second)},
		{Service: "migrate", State: "exited", ExitCode: 0, Image: "db:1"},
		{Service: "web", State: "running", Image: "web:1", StartedAt: now.Add(-3 * time.Hour),
			Ports: []engine.PublishedPort{{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}}},
		{Service: "worker", State: env.StateNotCreated, Image: "w:1"},
	}
	var b bytes.Buffer
	if err := writePsTable(&b, rows, now); err != nil {
		t.Fatal(err)
	}
	want := `SERVICE  STATE        HEALTH   PORTS               IMAGE                UPTIME
db       running      healthy  -                   db:1 (0123456789ab)  1m30s
migrate  exited (0)   -        -                   db:1                 -
web      running      -        127.0.0.1:8080->80  web:1                3h00m
worker   not created  -        -                   w:1                  -
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("ps table (-want +got):\n%s", diff)
	}
}

// Every command's help must render: flag clashes between the global options
// and a command's own (logs -f) panic only when the command is looked up.
func TestEveryCommandsHelp(t *testing.T) {
	for _, c := range newRoot(&globals{}).Commands() {
		t.Run(c.Name(), func(t *testing.T) {
			out, errOut, code := runCLI(t, t.TempDir(), c.Name(), "--help")
			if code != 0 || !strings.Contains(out, "Usage:") {
				t.Errorf("%s --help: code %d\n%s%s", c.Name(), code, out, errOut)
			}
		})
	}
	if _, errOut, code := runCLI(t, t.TempDir(), "logs", "-f", "--help"); code != 0 {
		t.Errorf("logs -f --help: code %d: %s", code, errOut)
	}
}

func TestPlainPullLinesOnStateChangesOnly(t *testing.T) {
	var b bytes.Buffer
	p := &plainProgress{w: &b}
	ref := "127.0.0.1:5000/team/api:1"
	for _, e := range []images.Event{
		{Image: ref, Status: images.StatusWaiting},
		{Image: ref, Status: images.StatusPulling},
		{Image: ref, Status: images.StatusDownloading, Layers: 2, Current: 1 << 20, Total: 3 << 20},
		{Image: ref, Status: images.StatusDownloading, Layers: 2, Current: 2 << 20, Total: 3 << 20},
		{Image: ref, Status: images.StatusExtracting, Layers: 2, LayersDone: 1, Current: 3 << 20, Total: 3 << 20},
		{Image: ref, Status: images.StatusPulled, Layers: 2, LayersDone: 2, Current: 3 << 20, Total: 3 << 20},
		{Image: "db:1", Status: images.StatusFailed, Error: "service db: image db:1: not found in the registry"},
	} {
		p.ReportPull(e)
	}
	want := `image 127.0.0.1:5000/team/api:1: waiting
image 127.0.0.1:5000/team/api:1: pulling
image 127.0.0.1:5000/team/api:1: downloading
image 127.0.0.1:5000/team/api:1: extracting
image 127.0.0.1:5000/team/api:1: pulled (2 layers, 3.0 MiB)
image db:1: failed (service db: image db:1: not found in the registry)
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("plain pull lines (-want +got):\n%s", diff)
	}
}

func TestTTYPullBar(t *testing.T) {
	got := progressBar(images.Event{Layers: 4, LayersDone: 1, Current: 15 << 20, Total: 30 << 20})
	if want := "[==========          ] 15.0 MiB/30.0 MiB  1/4 layers"; got != want {
		t.Errorf("bar %q, want %q", got, want)
	}
}
