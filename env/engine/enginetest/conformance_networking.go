package enginetest

import (
	"fmt"
	"testing"

	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/internal/testutil"
)

func networkingCases() []conformanceCase {
	return []conformanceCase{
		{"InspectByName", testInspectByName},
		{"MoreNetworksDNS", testMoreNetworks},
		{"MoreNetworkMissing", testMoreNetworkMissing},
	}
}

// testInspectByName: networks and volumes are found by name (as external
// ones are), and a missing one is ErrNotFound.
func testInspectByName(t *testing.T, s *suite) {
	id := s.network("byname")
	n, err := s.Engine.NetworkInspect(t.Context(), s.Project+"-byname")
	s.must(err)
	if n.ID != id || n.Name != s.Project+"-byname" {
		t.Errorf("inspected network %+v, want ID %s", n, id)
	}
	_, err = s.Engine.NetworkInspect(t.Context(), s.Project+"-absent")
	s.is("inspecting a missing network", err, engine.ErrNotFound)
	vol := s.Project + "-vol"
	s.must(s.Engine.VolumeCreate(t.Context(), engine.VolumeSpec{Name: vol, Labels: map[string]string{engine.LabelProject: s.Project}}))
	v, err := s.Engine.VolumeInspect(t.Context(), vol)
	s.must(err)
	if v.Name != vol || v.Labels[engine.LabelProject] != s.Project {
		t.Errorf("inspected volume %+v", v)
	}
	_, err = s.Engine.VolumeInspect(t.Context(), s.Project+"-absent")
	s.is("inspecting a missing volume", err, engine.ErrNotFound)
}

// testMoreNetworks: a container on two networks answers on both, under
// each network's aliases, and only there.
func testMoreNetworks(t *testing.T, s *suite) {
	s.network("front")
	s.network("back")
	s.network("other")
	db := s.run(s.spec("db", func(c *engine.ContainerSpec) {
		c.Network, c.Aliases = s.Project+"-front", []string{"db-front"}
		c.MoreNetworks = []engine.EndpointSpec{{Network: s.Project + "-back", Aliases: []string{"db-back"}}}
	}))
	front := s.run(s.spec("front", func(c *engine.ContainerSpec) { c.Network = s.Project + "-front" }))
	back := s.run(s.spec("back", func(c *engine.ContainerSpec) { c.Network = s.Project + "-back" }))
	other := s.run(s.spec("other", func(c *engine.ContainerSpec) { c.Network = s.Project + "-other" }))
	s.await(db, "start")
	reach := func(from, host string) error {
		code, out, err := s.Engine.ContainerExec(t.Context(), from, []string{"/app", "health", "http://" + host + ":8080/healthz"})
		if err == nil && code != 0 {
			err = fmt.Errorf("exit %d: %s", code, out)
		}
		return err
	}
	testutil.EventuallyNoError(t, "front to reach db-front", func() error { return reach(front, "db-front") })
	testutil.EventuallyNoError(t, "back to reach db-back", func() error { return reach(back, "db-back") })
	testutil.EventuallyNoError(t, "other to answer", func() error { return reach(other, "127.0.0.1") })
	if err := reach(front, "db-back"); err == nil {
		t.Error("front resolved db's alias on the back network")
	}
	if err := reach(other, "db-front"); err == nil {
		t.Error("a container on a third network reached db")
	}
}

// testMoreNetworkMissing: like the primary one, an extra network is
// looked for at the start, not at the create.
func testMoreNetworkMissing(t *testing.T, s *suite) {
	s.network("net")
	id := s.create(s.spec("web", func(c *engine.ContainerSpec) {
		c.Network = s.Project + "-net"
		c.MoreNetworks = []engine.EndpointSpec{{Network: s.Project + "-absent"}}
	}))
	s.is("start with a missing extra network", s.Engine.ContainerStart(t.Context(), id), engine.ErrNotFound)
}
