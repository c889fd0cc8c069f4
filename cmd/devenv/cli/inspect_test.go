package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/engine"
)

func TestHostPort(t *testing.T) {
	for _, tc := range []struct {
		pp   engine.PublishedPort
		want string
	}{
		{engine.PublishedPort{HostIP: "127.0.0.1", HostPort: 8080}, "127.0.0.1:8080"},
		{engine.PublishedPort{HostPort: 8080}, "0.0.0.0:8080"},
		{engine.PublishedPort{HostIP: "::1", HostPort: 443}, "[::1]:443"},
	} {
		if got := hostPort(tc.pp); got != tc.want {
			t.Errorf("hostPort(%+v) = %q, want %q", tc.pp, got, tc.want)
		}
	}
}

func TestPortUsage(t *testing.T) {
	for _, args := range [][]string{
		{"port", "web"},
		{"port", "web", "http"},
		{"port", "web", "0"},
		{"port", "web", "80", "--protocol", "sctp"},
	} {
		_, errOut, code := runCLI(t, t.TempDir(), args...)
		if code != ExitUsage {
			t.Errorf("%q: code %d, want %d: %s", args, code, ExitUsage, errOut)
		}
	}
}

func TestTopTable(t *testing.T) {
	titles := []string{"UID", "PID", "CMD"}
	tops := []env.ContainerProcesses{
		{Service: "api", Container: "demo-api", Processes: engine.Processes{Titles: titles,
			Rows: [][]string{{"root", "1", "/app serve"}, {"nobody", "12345", "sh"}}}},
		{Service: "db", Container: "demo-db", Processes: engine.Processes{Titles: titles,
			Rows: [][]string{{"999", "7", "postgres"}}}},
	}
	var b bytes.Buffer
	if err := writeTop(&b, tops); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"demo-api",
		"UID     PID    CMD",
		"root    1      /app serve",
		"nobody  12345  sh",
		"",
		"demo-db",
		"UID  PID  CMD",
		"999  7    postgres",
		"",
	}, "\n")
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("top (-want +got):\n%s", diff)
	}
}
