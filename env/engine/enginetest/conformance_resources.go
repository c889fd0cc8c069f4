package enginetest

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/internal/testutil"
)

func resourceCases() []conformanceCase {
	return []conformanceCase{
		{"NetworkByNameOrID", testNetworkByNameOrID},
		{"NetworkNameTaken", testNetworkTaken},
		{"NetworkInUse", testNetworkInUse},
		{"DNSNamesPerNetwork", testDNS},
		{"PortZeroGetsHostPort", testPortZero},
		{"PortUnspecifiedHost", testPortAnyHost},
		{"PortTaken", testPortTaken},
		{"VolumeCreatedByMount", testVolumeByMount},
		{"VolumeCreateKeepsExisting", testVolumeTwice},
		{"PullAndRepoDigests", testPull},
		{"PullUnknown", testPullUnknown},
	}
}

func testNetworkByNameOrID(t *testing.T, s *suite) {
	a, b := s.network("a"), s.network("b")
	obs, err := s.Engine.Observe(t.Context(), s.Project)
	s.must(err)
	var names []string
	for _, n := range obs.Networks {
		names = append(names, n.Name)
		if n.Labels[engine.LabelProject] != s.Project || (n.ID != a && n.ID != b) {
			t.Errorf("observed network %+v", n)
		}
	}
	slices.Sort(names)
	if want := []string{s.Project + "-a", s.Project + "-b"}; !slices.Equal(names, want) {
		t.Errorf("observed networks %q, want %q", names, want)
	}
	id := s.run(s.spec("web", func(c *engine.ContainerSpec) { c.Network = a }))
	s.is("removal of the network a container runs on, by ID", s.Engine.NetworkRemove(t.Context(), a), engine.ErrConflict)
	s.must(s.Engine.ContainerRemove(t.Context(), id))
	s.must(s.Engine.NetworkRemove(t.Context(), a))
	s.must(s.Engine.NetworkRemove(t.Context(), s.Project+"-b"))
	s.is("second removal", s.Engine.NetworkRemove(t.Context(), b), engine.ErrNotFound)
	// The engine looks for the network at the start, not at the creation.
	x := s.create(s.spec("x", func(c *engine.ContainerSpec) { c.Network = s.Project + "-a" }))
	s.is("start on a missing network", s.Engine.ContainerStart(t.Context(), x), engine.ErrNotFound)
}

func testNetworkTaken(t *testing.T, s *suite) {
	s.network("net")
	_, err := s.Engine.NetworkCreate(t.Context(), engine.NetworkSpec{Name: s.Project + "-net"})
	s.is("network with a taken name", err, engine.ErrConflict)
}

func testNetworkInUse(t *testing.T, s *suite) {
	s.network("net")
	name := s.Project + "-net"
	id := s.runReady(s.spec("web", func(c *engine.ContainerSpec) { c.Network = name }))
	s.is("removal of a network in use", s.Engine.NetworkRemove(t.Context(), name), engine.ErrConflict)
	s.must(s.Engine.ContainerStop(t.Context(), id, 10*time.Second))
	// A stopped container holds no endpoint: the network goes.
	s.must(s.Engine.NetworkRemove(t.Context(), name))
}

// testDNS checks that a container reaches another on a shared network by
// its name and its aliases, and not from another network.
func testDNS(t *testing.T, s *suite) {
	s.network("a")
	s.network("b")
	onA := func(c *engine.ContainerSpec) { c.Network = s.Project + "-a" }
	db := s.run(s.spec("db", onA, func(c *engine.ContainerSpec) { c.Aliases = []string{"db", "store"} }))
	client := s.run(s.spec("client", onA))
	stranger := s.run(s.spec("stranger", func(c *engine.ContainerSpec) { c.Network = s.Project + "-b" }))
	s.await(db, "start")
	reach := func(from, host string) error {
		code, out, err := s.Engine.ContainerExec(t.Context(), from, []string{"/app", "health", "http://" + host + ":8080/healthz"})
		if err == nil && code != 0 {
			err = fmt.Errorf("exit %d: %s", code, out)
		}
		return err
	}
	for _, host := range []string{"db", "store", s.Project + "-db"} {
		testutil.EventuallyNoError(t, "client to reach "+host, func() error { return reach(client, host) })
	}
	testutil.EventuallyNoError(t, "stranger to answer", func() error { return reach(stranger, "127.0.0.1") })
	if err := reach(stranger, "db"); err == nil {
		t.Error("a container on another network reached db by its alias")
	}
}

func publish(ports ...engine.PublishedPort) func(*engine.ContainerSpec) {
	return func(s *engine.ContainerSpec) { s.Ports = ports }
}

func testPortZero(t *testing.T, s *suite) {
	id := s.runReady(s.spec("web", publish(engine.PublishedPort{HostIP: "127.0.0.1", ContainerPort: 8080})))
	c := s.inspect(id)
	if len(c.Ports) != 1 || c.Ports[0].HostPort == 0 || c.Ports[0].ContainerPort != 8080 ||
		c.Ports[0].HostIP != "127.0.0.1" || c.Ports[0].Protocol != "tcp" {
		t.Fatalf("ports %+v, want 8080/tcp on a chosen port of 127.0.0.1", c.Ports)
	}
	if o := s.observed(id); !slices.Equal(o.Ports, c.Ports) {
		t.Errorf("observed ports %+v, inspected %+v", o.Ports, c.Ports)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(c.Ports[0].HostPort)))
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dialling the published port: %v", err)
	}
	conn.Close()
	other := s.run(s.spec("other", publish(engine.PublishedPort{HostIP: "127.0.0.1", ContainerPort: 8080})))
	if p := s.inspect(other).Ports; len(p) != 1 || p[0].HostPort == c.Ports[0].HostPort {
		t.Errorf("second container got ports %+v, want a port of its own", p)
	}
	s.must(s.Engine.ContainerStop(t.Context(), id, 10*time.Second))
	if p := s.inspect(id).Ports; len(p) != 0 {
		t.Errorf("stopped container still publishes %+v", p)
	}
}

func testPortAnyHost(t *testing.T, s *suite) {
	id := s.run(s.spec("web", publish(engine.PublishedPort{ContainerPort: 8080})))
	ports := s.inspect(id).Ports
	if !slices.ContainsFunc(ports, func(p engine.PublishedPort) bool { return p.HostIP == "0.0.0.0" }) {
		t.Errorf("ports %+v, want one on 0.0.0.0", ports)
	}
	for _, p := range ports {
		if p.HostPort == 0 || p.HostPort != ports[0].HostPort || p.Protocol != "tcp" {
			t.Errorf("ports %+v, want one chosen port for every address", ports)
		}
	}
}

// testPortTaken takes a host port by publishing port 0 and asks a second
// container for the port the first got.
func testPortTaken(t *testing.T, s *suite) {
	first := s.runReady(s.spec("first", publish(engine.PublishedPort{HostIP: "127.0.0.1", ContainerPort: 8080})))
	port := s.inspect(first).Ports[0].HostPort
	second := s.create(s.spec("second", publish(engine.PublishedPort{HostIP: "127.0.0.1", HostPort: port, ContainerPort: 8080})))
	s.is("start on a taken host port", s.Engine.ContainerStart(t.Context(), second), engine.ErrConflict)
	s.must(s.Engine.ContainerStop(t.Context(), first, 10*time.Second))
	s.must(s.Engine.ContainerStart(t.Context(), second))
	if p := s.inspect(second).Ports; len(p) != 1 || p[0].HostPort != port {
		t.Errorf("ports %+v, want host port %d", p, port)
	}
}

func testVolumeByMount(t *testing.T, s *suite) {
	vol := s.Project + "_data"
	id := s.create(s.spec("db", func(c *engine.ContainerSpec) {
		c.Mounts = []engine.MountSpec{{Type: "volume", Source: vol, Target: "/data"}}
	}))
	s.is("removal of a mounted volume", s.Engine.VolumeRemove(t.Context(), vol), engine.ErrConflict)
	s.must(s.Engine.ContainerRemove(t.Context(), id))
	s.must(s.Engine.VolumeRemove(t.Context(), vol))
	s.is("second removal", s.Engine.VolumeRemove(t.Context(), vol), engine.ErrNotFound)
}

func testVolumeTwice(t *testing.T, s *suite) {
	spec := engine.VolumeSpec{Name: s.Project + "_data", Labels: map[string]string{engine.LabelProject: s.Project}}
	s.must(s.Engine.VolumeCreate(t.Context(), spec))
	s.must(s.Engine.VolumeCreate(t.Context(), engine.VolumeSpec{Name: spec.Name}))
	obs, err := s.Engine.Observe(t.Context(), s.Project)
	s.must(err)
	if len(obs.Volumes) != 1 || obs.Volumes[0].Name != spec.Name || obs.Volumes[0].Labels[engine.LabelProject] != s.Project {
		t.Errorf("observed volumes %+v, want %s with its first labels", obs.Volumes, spec.Name)
	}
}

func testPull(t *testing.T, s *suite) {
	_, err := s.Engine.ImageInspect(t.Context(), s.Remote)
	s.is("inspect before the pull", err, engine.ErrImageNotFound)
	s.must(s.Engine.ImagePull(t.Context(), s.Remote))
	img, err := s.Engine.ImageInspect(t.Context(), s.Remote)
	s.must(err)
	pinned := repository(s.Remote) + "@" + s.RemoteDigest
	if !slices.Contains(img.RepoDigests, pinned) {
		t.Errorf("repo digests %q, want %s", img.RepoDigests, pinned)
	}
	byDigest, err := s.Engine.ImageInspect(t.Context(), pinned)
	s.must(err)
	if byDigest.ID != img.ID {
		t.Errorf("%s is %s, want %s", pinned, byDigest.ID, img.ID)
	}
	s.must(s.Engine.ImagePull(t.Context(), pinned))
}

func testPullUnknown(t *testing.T, s *suite) {
	s.is("pull of what the registry does not hold", s.Engine.ImagePull(t.Context(), s.Missing), engine.ErrImageNotFound)
	_, err := s.Engine.ImageInspect(t.Context(), s.Missing)
	s.is("inspect of an image never pulled", err, engine.ErrImageNotFound)
}
