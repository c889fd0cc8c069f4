package gatewaycli

import (
	"errors"
	"strings"
	"testing"

	"github.com/devenv-dev/devenv/access/gateway"
	"github.com/devenv-dev/devenv/access/proxy/postgres"
)

func TestWriteLoginChecks(t *testing.T) {
	ro := postgres.LoginReport{User: "ro", Database: "app"}
	rw := postgres.LoginReport{User: "app", Database: "app", Writes: []string{"INSERT on public.orders", "CREATE on schema public"}}
	tests := []struct {
		name      string
		checks    []gateway.LoginCheck
		want      []string // in the output, in order
		usage     bool     // the error is a usage error (exit 2)
		wantError bool
	}{
		{name: "read-only", checks: []gateway.LoginCheck{{Target: "db", Report: ro}},
			want: []string{"db: login ro on database app can only read"}},
		{name: "read-only with a note", checks: []gateway.LoginCheck{{Target: "db",
			Report: postgres.LoginReport{User: "ro", Database: "app", Notes: []string{"may create large objects (…)"}}}},
			want: []string{"db: login ro on database app can only read", "  note: login ro may create large objects (…)"}},
		{name: "accepted", checks: []gateway.LoginCheck{{Target: "db", Report: rw, Accepted: true}},
			want: []string{"db: login app on database app can write; served anyway (login_can_write: accept):",
				"  - INSERT on public.orders", "  - CREATE on schema public"}},
		{name: "refused", checks: []gateway.LoginCheck{{Target: "ro-db", Report: ro}, {Target: "db", Report: rw}},
			want: []string{"ro-db: login ro", "db: login app on database app can write, so the gateway will not serve this target:",
				"  - INSERT on public.orders", `    GRANT pg_read_all_data TO "devenv_readonly";`, "or set login_can_write: accept"},
			usage: true, wantError: true},
		{name: "unreachable", checks: []gateway.LoginCheck{{Target: "db", Err: errors.New("dial tcp: connection refused")}},
			want: []string{"db: cannot inspect the upstream login: dial tcp: connection refused"}, wantError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			err := writeLoginChecks(&b, tt.checks)
			out := b.String()
			at := 0
			for _, w := range tt.want {
				i := strings.Index(out[at:], w)
				if i < 0 {
					t.Fatalf("no %q (in order) in:\n%s", w, out)
				}
				at += i + len(w)
			}
			var use usageError
			if (err != nil) != tt.wantError || errors.As(err, &use) != tt.usage {
				t.Errorf("error %v (usage error: %v), want error %v, usage %v", err, errors.As(err, &use), tt.wantError, tt.usage)
			}
		})
	}
}
