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

// An optional dependency (required: false) on a service whose profile is
// off is left out, as Compose does: up brings web up without waiting for
// it. A required one on the same service is an error naming the profile.
func TestOptionalDependencyOnADisabledProfile(t *testing.T) {
	p := parse(t, `services:
  web:
    image: web:1
    depends_on:
      debug: {condition: service_healthy, required: false}
  debug: {image: debug:1, profiles: [debug]}
`)
	f := enginetest.New()
	f.AddImage("web:1")
	if _, err := env.Up(t.Context(), f, p, env.UpOptions{Ports: noPorts{}}); err != nil {
		t.Fatalf("up: %v", err)
	}
	rows, err := env.Ps(t.Context(), f, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Service != "web" || rows[0].State != "running" {
		t.Errorf("ps: %+v, want web running alone", rows)
	}
	q := parse(t, "services:\n  web: {image: web:1, depends_on: [debug]}\n  debug: {image: debug:1, profiles: [debug]}\n")
	if _, err := env.Up(t.Context(), enginetest.New(), q, env.UpOptions{DryRun: true}); err == nil || !strings.Contains(err.Error(), "--profile debug") {
		t.Errorf("a required dependency in a disabled profile: %v, want an error naming --profile debug", err)
	}
}
