package env_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/network"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/internal/imagebuild"
	"github.com/devenv-dev/devenv/internal/testutil"
)

// resourceStack puts api on two networks (back is internal, with a subnet
// and a static address for db), gives api a secret and a config of each
// kind, a named and an anonymous volume, and shares api's network stack
// with sidecar; web mounts an external volume. Subnets are chosen per run so
// parallel runs do not clash.
const resourceStack = `
name: NAME
services:
  db:
    image: PROBE
    networks:
      back: {ipv4_address: SUBNET.10}
  api:
    image: PROBE
    networks: [front, back]
    links: ["db:database"]
    volumes:
      - data:/data
      - /anon
      - ./made/here:/made:z
      - {type: tmpfs, target: /scratch, tmpfs: {mode: 01777}}
    tmpfs: /run/t:size=1m
    secrets:
      - {source: token, uid: "1000", gid: "1001", mode: 0400}
      - {source: cert, target: /etc/cert.pem}
    configs:
      - {source: conf, target: /etc/app.conf, mode: 0440}
  web:
    image: PROBE
    networks: [front]
    volumes: ["shared:/shared"]
  sidecar:
    image: PROBE
    command: [idle]
    network_mode: service:api
volumes:
  data:
  shared: {external: true, name: EXTVOL}
networks:
  front:
  back:
    internal: true
    ipam: {config: [{subnet: SUBNET.0/24}]}
secrets:
  token: {content: t0k3n}
  cert: {file: ./cert.pem}
configs:
  conf: {environment: DEVENV_TEST_CONF}
`

func TestResourcesOnTheEngine(t *testing.T) {
	eng := dockerEngine(t)
	probe, _, err := images.Image(t.Context(), eng.Client(), "./env/testdata/probe", "probe", imagebuild.ImageOptions{})
	if err != nil {
		t.Fatalf("building the probe image: %v", err)
	}
	t.Setenv("DEVENV_TEST_CONF", "debug = true")
	subnet := fmt.Sprintf("10.%d.%d", 100+time.Now().Nanosecond()%100, time.Now().Nanosecond()/100%250)
	extVol := "devenv-ext-" + uniqueName()
	yaml := strings.NewReplacer("PROBE", probe, "SUBNET", subnet, "EXTVOL", extVol).Replace(resourceStack)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), []byte("CERT"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := projectIn(t, eng, dir, yaml)
	if _, err := env.Up(t.Context(), eng, p, env.UpOptions{NoWait: true}); err == nil || !strings.Contains(err.Error(), "external volume "+extVol+" does not exist") {
		t.Fatalf("up without the external volume: %v", err)
	}
	// Made by someone else: no labels of the project.
	if err := eng.VolumeCreate(t.Context(), engine.VolumeSpec{Name: extVol}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := eng.VolumeRemove(context.Background(), extVol); err != nil {
			t.Errorf("removing the external volume: %v", err)
		}
	})
	if _, err := env.Up(t.Context(), eng, p, env.UpOptions{NoWait: true}); err != nil {
		t.Fatalf("up: %v", err)
	}
	ids := containerIDs(t, eng, p.Name)
	run := func(svc string, cmd ...string) (string, error) {
		code, out, err := eng.ContainerExec(t.Context(), ids[svc], append([]string{"/app"}, cmd...))
		if err == nil && code != 0 {
			err = fmt.Errorf("%s: %v exited %d: %s", svc, cmd, code, out)
		}
		return strings.TrimSpace(out), err
	}
	t.Run("secrets and configs", func(t *testing.T) {
		for path, want := range map[string]string{
			"/run/secrets/token": "0400 1000 1001 t0k3n",
			"/etc/app.conf":      "0440 0 0 debug = true",
		} {
			if got, err := run("api", "stat", path); err != nil || got != want {
				t.Errorf("stat %s = %q, %v; want %q", path, got, err, want)
			}
		}
		if got, err := run("api", "stat", "/etc/cert.pem"); err != nil || !strings.HasSuffix(got, " CERT") {
			t.Errorf("the file secret reads %q, %v", got, err)
		}
	})
	t.Run("networks", func(t *testing.T) {
		testutil.EventuallyNoError(t, "api to reach web on front", func() error { _, err := run("api", "get", "http://web:8080/"); return err })
		testutil.EventuallyNoError(t, "api to reach db on back", func() error { _, err := run("api", "get", "http://db:8080/"); return err })
		testutil.EventuallyNoError(t, "api to reach db by its link alias", func() error { _, err := run("api", "get", "http://database:8080/"); return err })
		if _, err := run("db", "get", "http://database:8080/"); err == nil {
			t.Error("a link alias is api's alone, yet db (on the same network) resolved it")
		}
		if _, err := run("web", "get", "http://db:8080/"); err == nil {
			t.Error("web, on front only, reached db on back")
		}
		if out, _ := run("db", "addrs"); !strings.Contains(out, subnet+".10/24") {
			t.Errorf("db's addresses %q lack its static %s.10", out, subnet)
		}
		// By address too: the networks are apart, not just their names.
		if out, err := run("web", "get", "http://"+subnet+".10:8080/"); err == nil {
			t.Errorf("web reached db's static address on back: %s", out)
		}
		// An internal network has no way out. (Engines before 28 still let
		// its containers reach the host's own bridge address, so the test
		// reads the setting rather than probing the host.)
		back, err := eng.Client().NetworkInspect(t.Context(), p.Name+"_back", network.InspectOptions{})
		if err != nil || !back.Internal {
			t.Errorf("network back: internal %v, %v", back.Internal, err)
		}
		front, err := eng.Client().NetworkInspect(t.Context(), p.Name+"_front", network.InspectOptions{})
		if err != nil || front.Internal {
			t.Errorf("network front: internal %v, %v", front.Internal, err)
		}
	})
	t.Run("network_mode service", func(t *testing.T) {
		// The sidecar serves nothing itself: 127.0.0.1:8080 is api's.
		testutil.EventuallyNoError(t, "sidecar to reach api on localhost", func() error {
			_, err := run("sidecar", "get", "http://127.0.0.1:8080/")
			return err
		})
		a, _ := run("api", "addrs")
		s, _ := run("sidecar", "addrs")
		if a != s || a == "" {
			t.Errorf("sidecar's addresses %q differ from api's %q", s, a)
		}
	})
	t.Run("volumes", func(t *testing.T) {
		if _, err := run("api", "write", "/data/x", "kept"); err != nil {
			t.Fatal(err)
		}
		if _, err := run("api", "write", "/anon/x", "scratch"); err != nil {
			t.Fatal(err)
		}
		for path, want := range map[string]string{"/made": "0755 0 0 dir", "/scratch": "1777 0 0 dir", "/run/t": "1777 0 0 dir"} {
			if got, err := run("api", "stat", path); err != nil || got != want {
				t.Errorf("stat %s = %q, %v; want %q", path, got, err, want)
			}
		}
		if st, err := os.Stat(filepath.Join(dir, "made", "here")); err != nil || !st.IsDir() {
			t.Errorf("the short syntax did not create the missing host path: %v", err)
		}
		obs, err := eng.Observe(t.Context(), p.Name)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, v := range obs.Volumes {
			names = append(names, v.Name)
		}
		if len(names) != 1 || names[0] != p.Name+"_data" {
			t.Errorf("project volumes %v, want only %s_data (anonymous ones are not the project's)", names, p.Name)
		}
	})
	if err := env.Down(t.Context(), eng, p.Name, env.DownOptions{Volumes: true, Timeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	obs, err := eng.Observe(t.Context(), p.Name)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(obs.Containers) + len(obs.Networks) + len(obs.Volumes); n != 0 {
		t.Errorf("down -v left %d objects: %+v", n, obs)
	}
	if _, err := eng.VolumeInspect(t.Context(), extVol); err != nil {
		t.Errorf("down -v removed the external volume: %v", err)
	}
}

// projectIn is project with envs.yaml written into dir, beside the files
// the test puts there for relative paths.
func projectIn(t *testing.T, eng engine.Engine, dir, yaml string) *config.Project {
	t.Helper()
	name := uniqueName()
	p := loadYAML(t, dir, name, yaml)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := env.Down(ctx, eng, name, env.DownOptions{Volumes: true, Timeout: time.Second}); err != nil {
			t.Errorf("cleaning up project %s: %v", name, err)
		}
	})
	return p
}
