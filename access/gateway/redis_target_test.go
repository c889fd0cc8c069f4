package gateway

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/testutil"
)

// startRedis runs a throwaway redis-server with a password on loopback.
func startRedis(t *testing.T, password string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed (Debian: redis-server)")
	}
	// redis-server cannot bind port 0 and say which it got: pick one.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--requirepass", password, "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	testutil.Eventually(t, "redis-server", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return addr
}

// TestRedisTargetThroughTheTunnel wires a redis target end to end: the
// gateway logs in with the configured password, reads pass, writes are
// refused, and the session stays usable.
func TestRedisTargetThroughTheTunnel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a redis-server")
	}
	addr := startRedis(t, "redis-secret")
	t.Setenv("REDIS_PASSWORD", "redis-secret")
	hub := newFakeHub(t)
	c2, err := ParseConfig("gw.yaml", []byte(fmt.Sprintf(`hub: {url: %s, fingerprint: %s, token: gw-token}
wireguard: {listen_port: 0, endpoint: "127.0.0.1:0"}
state_dir: %s
targets:
  - {name: cache, protocol: redis, upstream: %q, credentials: {env: REDIS_PASSWORD}, max_ttl: 1h, limits: {max_count: 50}}
`, hub.srv.URL, fingerprintOf(hub), t.TempDir(), addr)))
	if err != nil {
		t.Fatal(err)
	}
	gw, _ := startGateway(t, c2, hub.client())
	cl := newClient(t, gw, "cache", time.Now().Add(time.Minute))
	hub.set(cl.grant)
	testutil.Eventually(t, "the grant's peer", func() bool { return peerCount(t, gw) == 1 })
	conn, err := cl.dev.DialContext(t.Context(), "tcp", c2.TargetAddress(0).String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	for _, step := range []struct{ cmd, want string }{
		{"PING\r\n", "+PONG"},
		{"SET k v\r\n", "-NOPERM"},
		{"GET k\r\n", "$-1"},
		{"DBSIZE\r\n", ":0"},
		{"SCAN 0 COUNT 50\r\n", "*2"},
		{"SCAN 0 COUNT 51\r\n", "-"}, // limits.max_count reached the proxy
	} {
		if _, err := conn.Write([]byte(step.cmd)); err != nil {
			t.Fatal(err)
		}
		line, err := r.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, step.want) {
			t.Errorf("%q through the gateway: got %q (%v), want %s…", strings.TrimSpace(step.cmd), line, err, step.want)
		}
		if strings.HasPrefix(line, "*") { // the rest of an array reply: the cursor and the (empty) keys
			r.ReadString('\n')
			r.ReadString('\n')
			r.ReadString('\n')
		}
	}
	// Judged by the server: only the allowed SCAN ran.
	direct, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	direct.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprint(direct, "AUTH redis-secret\r\nINFO commandstats\r\n")
	dr := bufio.NewReader(direct)
	var size int
	if ok, _ := dr.ReadString('\n'); ok != "+OK\r\n" {
		t.Fatalf("AUTH: %q", ok)
	}
	if head, _ := dr.ReadString('\n'); !strings.HasPrefix(head, "$") {
		t.Fatalf("INFO: %q", head)
	} else {
		fmt.Sscanf(head, "$%d", &size)
	}
	stats := make([]byte, size)
	if _, err := io.ReadFull(dr, stats); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(stats), "cmdstat_scan:calls=1,") {
		t.Errorf("the server's SCAN calls, want exactly 1:\n%s", stats)
	}
}
