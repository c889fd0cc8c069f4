package env_test

import (
	"context"
	"strings"
	"testing"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/engine/enginetest"
)

// Up and Pull leave out the services of disabled profiles unless named.
func TestProfilesLeaveServicesOut(t *testing.T) {
	p := parse(t, "services:\n  web: {image: web:1}\n  debug: {image: debug:1, profiles: [debug]}\n")
	f := enginetest.New()
	f.AddRemoteImage("web:1") // debug:1 is in no registry: pulling it fails
	ctx := context.Background()
	if err := env.Pull(ctx, f, p, env.PullOptions{}); err != nil {
		t.Errorf("pull without profiles: %v", err)
	}
	if err := env.Pull(ctx, f, p, env.PullOptions{Services: []string{"debug"}}); err == nil {
		t.Errorf("pull of the named debug service did not try it")
	}
	plan, err := env.Up(ctx, f, p, env.UpOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.String(); !strings.Contains(got, "web") || strings.Contains(got, "debug") {
		t.Errorf("plan without profiles:\n%s\nwant web and not debug", got)
	}
}

// Ps lists a disabled profile's service only once it has a container.
func TestPsLeavesOutDisabledProfiles(t *testing.T) {
	p := parse(t, "services:\n  web: {image: web:1}\n  debug: {image: debug:1, profiles: [debug]}\n")
	rows, err := env.Ps(context.Background(), fakeWith(t, p, nil), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Service != "web" {
		t.Errorf("rows = %+v, want only web", rows)
	}
}
