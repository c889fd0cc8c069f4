package enginetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/env/engine"
)

func controlCases() []conformanceCase {
	return []conformanceCase{
		{"PauseUnpause", testPauseUnpause},
		{"KillEndsWithSignal", testKill},
		{"DeleteOnlyStopped", testDelete},
		{"TopListsProcesses", testTop},
		{"ImageTagsAndSize", testImageTagsAndSize},
		{"RunAttachedExitCode", testRunAttached},
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

func testTop(t *testing.T, s *suite) {
	id := s.runReady(s.spec("top"))
	ps, err := s.Engine.ContainerTop(t.Context(), id)
	s.must(err)
	pid, cmd := slices.Index(ps.Titles, "PID"), slices.Index(ps.Titles, "CMD")
	if pid < 0 || cmd < 0 || len(ps.Rows) == 0 {
		t.Fatalf("top: titles %q, %d rows; want PID and CMD and a row", ps.Titles, len(ps.Rows))
	}
	for _, row := range ps.Rows {
		if len(row) != len(ps.Titles) || row[pid] == "" || row[cmd] == "" {
			t.Errorf("top: row %q does not fill titles %q", row, ps.Titles)
		}
	}
	s.must(s.Engine.ContainerStop(t.Context(), id, 10*time.Second))
	_, err = s.Engine.ContainerTop(t.Context(), id)
	s.is("top of a stopped container", err, engine.ErrConflict)
}

func testImageTagsAndSize(t *testing.T, s *suite) {
	img, err := s.Engine.ImageInspect(t.Context(), s.Image)
	s.must(err)
	if !slices.Contains(img.RepoTags, s.Image) || img.Size <= 0 {
		t.Errorf("image %s: tags %q, size %d; want its tag and a size", s.Image, img.RepoTags, img.Size)
	}
	byID, err := s.Engine.ImageInspect(t.Context(), img.ID)
	s.must(err)
	if !slices.Equal(byID.RepoTags, img.RepoTags) || byID.Size != img.Size {
		t.Errorf("by ID: tags %q size %d, by tag: %q %d", byID.RepoTags, byID.Size, img.RepoTags, img.Size)
	}
}

func testRunAttached(t *testing.T, s *suite) {
	id := s.create(s.spec("oneoff", exitWith("3")))
	var out strings.Builder
	code, err := s.Engine.ContainerRun(t.Context(), id, engine.ExecOptions{Stdout: &out, Stderr: &out})
	s.must(err)
	if code != 3 {
		t.Errorf("run: exit code %d, want 3", code)
	}
	if !strings.Contains(out.String(), "msg=start") {
		t.Errorf("run: output %q, want testsvc's start line", out.String())
	}
	if c := s.inspect(id); c.State != "exited" || c.ExitCode != 3 {
		t.Errorf("after run: state %q exit %d", c.State, c.ExitCode)
	}
}
