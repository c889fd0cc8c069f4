package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/env"
)

func TestEventLines(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
	code := 137
	evs := []env.ContainerEvent{
		{Time: at, Type: "container", Action: "start", ID: "abc123", Service: "api"},
		{Time: at, Type: "container", Action: "health_status", ID: "abc123", Service: "api", Health: "healthy"},
		{Time: at, Type: "container", Action: "die", ID: "abc123", Service: "api", ExitCode: &code},
	}
	for _, tc := range []struct {
		name   string
		asJSON bool
		want   string
	}{
		{"text", false, `2026-01-02T03:04:05.6Z container start abc123 (service=api)
2026-01-02T03:04:05.6Z container health_status abc123 (service=api, health=healthy)
2026-01-02T03:04:05.6Z container die abc123 (service=api, exitCode=137)
`},
		{"json", true, `{"time":"2026-01-02T03:04:05.6Z","type":"container","action":"start","id":"abc123","service":"api"}
{"time":"2026-01-02T03:04:05.6Z","type":"container","action":"health_status","id":"abc123","service":"api","health":"healthy"}
{"time":"2026-01-02T03:04:05.6Z","type":"container","action":"die","id":"abc123","service":"api","exit_code":137}
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			out := eventPrinter(&b, tc.asJSON)
			for _, ev := range evs {
				out(ev)
			}
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
