package enginetest

import (
	"testing"
	"time"

	"github.com/devenv-dev/devenv/env/engine"
)

func controlCases() []conformanceCase {
	return []conformanceCase{
		{"PauseUnpause", testPauseUnpause},
		{"KillEndsWithSignal", testKill},
		{"DeleteOnlyStopped", testDelete},
	}
}

func testPauseUnpause(t *testing.T, s *suite) {
	id := s.run(s.spec("frozen"))
	s.must(s.Engine.ContainerPause(t.Context(), id))
	s.await(id, "pause")
	if c := s.inspect(id); c.State != "paused" {
		t.Errorf("after pause: state %q, want paused", c.State)
	}
	if c := s.observed(id); c.State != "paused" {
		t.Errorf("after pause, listed: state %q, want paused", c.State)
	}
	s.is("pausing a paused container", s.Engine.ContainerPause(t.Context(), id), engine.ErrConflict)
	s.must(s.Engine.ContainerUnpause(t.Context(), id))
	s.await(id, "unpause")
	if c := s.inspect(id); c.State != "running" {
		t.Errorf("after unpause: state %q, want running", c.State)
	}
	s.is("unpausing a running container", s.Engine.ContainerUnpause(t.Context(), id), engine.ErrConflict)
}

func testKill(t *testing.T, s *suite) {
	id := s.run(s.spec("killed"))
	s.must(s.Engine.ContainerKill(t.Context(), id, "SIGKILL"))
	s.await(id, "kill", "die 137")
	if c := s.inspect(id); c.State != "exited" || c.ExitCode != 137 {
		t.Errorf("after SIGKILL: state %q exit %d, want exited 137", c.State, c.ExitCode)
	}
	s.is("killing a stopped container", s.Engine.ContainerKill(t.Context(), id, "KILL"), engine.ErrConflict)
	s.is("killing a missing container", s.Engine.ContainerKill(t.Context(), "devenv-no-such-container", ""), engine.ErrNotFound)
}

func testDelete(t *testing.T, s *suite) {
	id := s.run(s.spec("deleted"))
	s.is("deleting a running container", s.Engine.ContainerDelete(t.Context(), id, true), engine.ErrConflict)
	s.must(s.Engine.ContainerStop(t.Context(), id, 10*time.Second))
	s.must(s.Engine.ContainerDelete(t.Context(), id, true))
	s.await(id, "destroy")
	_, err := s.Engine.ContainerInspect(t.Context(), id)
	s.is("inspecting a deleted container", err, engine.ErrNotFound)
	s.is("deleting it again", s.Engine.ContainerDelete(t.Context(), id, false), engine.ErrNotFound)
}
