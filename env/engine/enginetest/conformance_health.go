package enginetest

import (
	"testing"
	"time"

	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/internal/testutil"
)

func healthCases() []conformanceCase {
	return []conformanceCase{
		{"HealthStartingThenHealthy", testHealthy},
		{"HealthUnhealthy", testUnhealthy},
		{"HealthAfterStop", testHealthAfterStop},
		{"HealthAgainAfterRestart", testHealthAfterRestart},
		{"HealthFromImage", testHealthFromImage},
		{"HealthNoneOverridesImage", testHealthNone},
		{"NoHealthWithoutCheck", testNoHealth},
	}
}

func withHealth(s *engine.ContainerSpec) { s.Healthcheck = healthSpec() }

func unhealthy(s *engine.ContainerSpec) { s.Env = append(s.Env, "TESTSVC_UNHEALTHY=1") }

func testHealthy(t *testing.T, s *suite) {
	id := s.run(s.spec("web", withHealth))
	if c := s.inspect(id); c.Health != "starting" && c.Health != "healthy" {
		t.Errorf("health %q right after the start, want starting (or healthy)", c.Health)
	}
	s.await(id, "start", "health_status healthy")
	c := s.inspect(id)
	if c.Health != "healthy" || c.HealthLog == "" {
		t.Errorf("inspected health %q, log %q; want healthy with the probe's output", c.Health, c.HealthLog)
	}
	if o := s.observed(id); o.Health != "healthy" {
		t.Errorf("observed health %q, want healthy", o.Health)
	}
}

func testUnhealthy(t *testing.T, s *suite) {
	id := s.run(s.spec("web", withHealth, unhealthy))
	s.await(id, "start", "health_status unhealthy")
	if c := s.inspect(id); c.Health != "unhealthy" || c.State != "running" {
		t.Errorf("inspected %q %q, want running and unhealthy", c.State, c.Health)
	}
	if o := s.observed(id); o.Health != "unhealthy" {
		t.Errorf("observed health %q, want unhealthy", o.Health)
	}
}

func testHealthAfterStop(t *testing.T, s *suite) {
	id := s.run(s.spec("web", withHealth))
	s.await(id, "health_status healthy")
	s.must(s.Engine.ContainerStop(t.Context(), id, 10*time.Second))
	s.await(id, "die 0")
	if c := s.inspect(id); c.Health != "" {
		t.Errorf("inspected health %q of a stopped container, want none", c.Health)
	}
	if o := s.observed(id); o.Health != "" {
		t.Errorf("observed health %q of a stopped container, want none", o.Health)
	}
}

func testHealthAfterRestart(t *testing.T, s *suite) {
	id := s.run(s.spec("web", withHealth))
	s.await(id, "health_status healthy")
	s.must(s.Engine.ContainerStop(t.Context(), id, 10*time.Second))
	s.must(s.Engine.ContainerStart(t.Context(), id))
	if c := s.inspect(id); c.Health != "starting" && c.Health != "healthy" {
		t.Errorf("health %q right after the restart, want starting again", c.Health)
	}
	s.await(id, "die 0", "start", "health_status healthy")
}

func testHealthFromImage(t *testing.T, s *suite) {
	id := s.run(s.spec("web", func(c *engine.ContainerSpec) { c.Image = s.HealthImage }))
	s.await(id, "start", "health_status healthy")
	id = s.run(s.spec("sick", unhealthy, func(c *engine.ContainerSpec) { c.Image = s.HealthImage }))
	s.await(id, "start", "health_status unhealthy")
}

func testHealthNone(t *testing.T, s *suite) {
	id := s.run(s.spec("web", func(c *engine.ContainerSpec) {
		c.Image = s.HealthImage
		c.Healthcheck = &engine.HealthSpec{Test: []string{"NONE"}}
	}))
	s.await(id, "start")
	noHealth(t, s, id)
}

func testNoHealth(t *testing.T, s *suite) {
	id := s.run(s.spec("web"))
	s.await(id, "start")
	noHealth(t, s, id)
}

// noHealth checks a running container reports no health, and keeps
// reporting none once testsvc answers (when a check would have passed).
func noHealth(t *testing.T, s *suite, id string) {
	t.Helper()
	testutil.EventuallyNoError(t, "testsvc to answer", func() error {
		_, _, err := s.Engine.ContainerExec(t.Context(), id, []string{"/app", "health"})
		return err
	})
	if c := s.inspect(id); c.Health != "" {
		t.Errorf("inspected health %q, want none", c.Health)
	}
	if o := s.observed(id); o.Health != "" {
		t.Errorf("observed health %q, want none", o.Health)
	}
}
