package env_test

import (
	"errors"
	"testing"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/env/engine/enginetest"
)

func TestContainerStatusReadsOneContainerAsPsDoes(t *testing.T) {
	p := parse(t, `
name: demo
services:
  db:
    image: db:1
    healthcheck: {test: ["CMD", "true"]}
  web:
    image: web:1
    ports: ["8080:80"]
`)
	f := enginetest.New()
	f.AddImage("db:1")
	f.AddImage("web:1")
	f.OnStart = func(engine.ContainerSpec) enginetest.Behaviour {
		return enginetest.Behaviour{Health: "unhealthy", HealthLog: "connection refused"}
	}
	if _, err := env.Up(t.Context(), f, p, env.UpOptions{NoWait: true, Ports: noPorts{}}); err != nil {
		t.Fatal(err)
	}
	rows, err := env.Ps(t.Context(), f, p)
	if err != nil {
		t.Fatal(err)
	}
	obs, _ := f.Observe(t.Context(), "demo")
	for _, c := range obs.Containers {
		got, err := env.ContainerStatus(t.Context(), f, p, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var want env.ServiceStatus
		for _, r := range rows {
			if r.Service == c.Service {
				want = r
			}
		}
		if got.Service != want.Service || got.State != want.State || got.Health != want.Health ||
			got.HealthLog != want.HealthLog || got.ID != want.ID || len(got.Ports) != len(want.Ports) {
			t.Errorf("ContainerStatus = %+v\nPs row = %+v", got, want)
		}
	}
	if rows[0].HealthLog != "connection refused" {
		t.Errorf("db's health log %q, want the probe's output", rows[0].HealthLog)
	}
	if _, err := env.ContainerStatus(t.Context(), f, p, "nope"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("missing container: %v, want ErrNotFound", err)
	}
}
