package gateway

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestDefaultStateDirIsPerUserAndPerFile(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/home/ann/.state")
	if got, want := stateBase(1000), "/home/ann/.state/devenv/gateway"; got != want {
		t.Errorf("a user's state base = %s, want %s", got, want)
	}
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "/home/ann")
	if got, want := stateBase(1000), "/home/ann/.local/state/devenv/gateway"; got != want {
		t.Errorf("without XDG_STATE_HOME = %s, want %s", got, want)
	}
	if got, want := stateBase(0), "/var/lib/devenv/gateway"; got != want {
		t.Errorf("root's state base = %s, want %s", got, want)
	}
	eu, us := DefaultStateDir("/etc/devenv/prod-eu.yaml"), DefaultStateDir("/etc/devenv/prod-us.yml")
	if eu == us || filepath.Base(eu) != "prod-eu" || filepath.Base(us) != "prod-us" {
		t.Errorf("two configuration files share or misname a state directory: %s, %s", eu, us)
	}
	c, err := ParseConfig("/etc/devenv/prod-eu.yaml", []byte(`hub: {url: https://hub.example:8443, fingerprint: `+fp+`, token: t}
wireguard: {endpoint: gw.example:51821}
targets:
  - {name: web, protocol: http, upstream: http://web.internal, max_ttl: 1h, approver_role: approver}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.StateDir != eu {
		t.Errorf("state_dir unset: %s, want %s", c.StateDir, eu)
	}
}

// Two gateways on one state directory would overwrite each other's key,
// saved grants and spool: the second is refused until the first closes.
func TestStateDirHoldsOneGateway(t *testing.T) {
	hub := newFakeHub(t)
	dir := t.TempDir()
	first, stop := startGateway(t, testConfig(t, hub, prodUpstream(t).URL, dir, time.Minute), hub.client())
	_, err := New(Options{Config: testConfig(t, hub, prodUpstream(t).URL, dir, time.Minute), Hub: hub.client()})
	if !errors.Is(err, ErrStateDirInUse) {
		t.Fatalf("a second gateway on %s: %v, want ErrStateDirInUse", dir, err)
	}
	stop()
	first.Close()
	again, err := New(Options{Config: testConfig(t, hub, prodUpstream(t).URL, dir, time.Minute), Hub: hub.client()})
	if err != nil {
		t.Fatalf("after the first closed: %v", err)
	}
	again.Close()
}
