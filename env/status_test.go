package env_test

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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

// TestPsAgreesWithUp: up calls a service healthy once its own health test
// passes, while the engine still says "starting" (its first check waits an
// interval). ps then runs the declared test once and agrees with up, saying
// the verdict is devenv's; a failing test, or a check envs.yaml does not
// declare, keeps the engine's "starting".
func TestPsAgreesWithUp(t *testing.T) {
	p := parse(t, `
name: demo
services:
  db:
    image: db:1
    healthcheck: {test: ["CMD", "ready"], interval: 30s}
  cache:
    image: cache:1
    healthcheck: {test: ["CMD-SHELL", "ready"], interval: 30s}
  web:
    image: web:1
`)
	f := enginetest.New()
	for _, s := range p.Services {
		f.AddImage(s.Image)
	}
	var ran []string
	var mu sync.Mutex
	f.OnStart = func(spec engine.ContainerSpec) enginetest.Behaviour {
		svc := spec.Labels[engine.LabelService]
		return enginetest.Behaviour{Health: "healthy", HealthAfter: time.Hour, Exec: func(cmd []string) (int, string) {
			mu.Lock()
			ran = append(ran, svc+":"+strings.Join(cmd, " "))
			mu.Unlock()
			if svc == "cache" {
				return 1, "not yet"
			}
			return 0, "ok"
		}}
	}
	if _, err := env.Up(t.Context(), f, p, env.UpOptions{NoWait: true, Ports: noPorts{}}); err != nil {
		t.Fatal(err)
	}
	rows, err := env.Ps(t.Context(), f, p)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rows {
		got[r.Service] = r.Health + "/" + r.HealthBy
	}
	want := map[string]string{"db": "healthy/devenv", "cache": "starting/", "web": "/"}
	if !maps.Equal(got, want) {
		t.Errorf("health/by per service: %v, want %v", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(ran, "db:ready") || !slices.Contains(ran, "cache:/bin/sh -c ready") {
		t.Errorf("probes run: %v", ran)
	}
}
