//go:build linux

package gateway_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/netnstest"
	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// The production Redis on the gateway host's loopback.
const (
	redisUpstream  = "127.0.0.1:6379"
	redisSuperPass = "redis-super-77b1" // the default user's: the test's direct view
	redisLogin     = "gateway"          // the ACL user the gateway logs in as
	redisLoginPass = "redis-gw-2c90"
	redisTarget    = "cache"
	redisLocal     = 16379 // connect's port on the dev host
)

// redisWorld is a redis target served by the real gateway, with
// redis-cli and redis-benchmark on the developer's host.
type redisWorld struct {
	*world
	cli, bencher string // the client binaries
}

// TestRedisTargetEndToEnd runs a redis target through the real devenv
// hub, gateway and `devenv access connect`, each in its own network
// namespace, with redis-server on the gateway host's loopback and the real
// redis-cli and redis-benchmark on the developer's host. The gateway's ACL
// user may run every command, so what stops a write is the gateway alone.
// It proves that reads return what the server has, that writes get the
// -NOPERM refusal and leave the keyspace as it was (DBSIZE and DEBUG DIGEST
// before and after, directly), that redis-benchmark's pipelines of reads
// pass without errors, and that every command reaches the hub's audit trail
// with its verdict.
func TestRedisTargetEndToEnd(t *testing.T) {
	start := time.Now()
	w := newDBHosts(t)
	rw := &redisWorld{world: w,
		cli: needTool(t, "redis-cli", "redis-tools"), bencher: needTool(t, "redis-benchmark", "redis-tools")}
	startRedisIn(t, w.gw, needTool(t, "redis-server", "redis-server"))
	rw.direct(t, "ACL", "SETUSER", redisLogin, "on", ">"+redisLoginPass, "~*", "&*", "+@all")
	rw.direct(t, "MSET", "k", "hello", "key:a", "1", "key:b", "2", "key:c", "3")
	w.serve(dbTarget{name: redisTarget, protocol: "redis", upstream: redisUpstream,
		credentials: fmt.Sprintf("{user: %s, env: CACHE_PASSWORD}", redisLogin), env: []string{"CACHE_PASSWORD=" + redisLoginPass}})
	t.Logf("redis, hub and gateway ready in %v", time.Since(start).Round(time.Millisecond))
	c := w.connect(w.grantOf(redisTarget, 2*time.Minute).ID, redisLocal)
	defer c.stop(os.Interrupt)
	t.Run("redis-cli GET equals direct; SET gets NOPERM and changes nothing", rw.testCli)
	t.Run("redis-benchmark of GET and MGET runs without an error at a nonzero rate", rw.testBenchReads)
	t.Run("redis-benchmark of SET stops at the refusal and leaves the keyspace as it was", rw.testBenchWrites)
	t.Run("the audit trail has every command with its verdict", rw.testAudit)
	t.Logf("redis end to end in %v", time.Since(start).Round(time.Millisecond))
}

// startRedisIn runs redis-server on redisUpstream inside h until the test
// ends. DEBUG is allowed from loopback only, for DEBUG DIGEST.
func startRedisIn(t *testing.T, h *netnstest.Host, bin string) {
	t.Helper()
	cmd := exec.Command(bin, "--port", "6379", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--requirepass", redisSuperPass, "--enable-debug-command", "local", "--dir", t.TempDir())
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := h.Do(cmd.Start); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("--- redis-server:\n%s", out.String())
		}
	})
	testutil.EventuallyNoError(t, "redis-server up", func() error {
		c, err := dialIn(h, redisUpstream, time.Second)
		if err == nil {
			c.Close()
		}
		return err
	})
}

// direct runs a command as the default user, on the gateway host: what
// the server really has.
func (rw *redisWorld) direct(t *testing.T, args ...string) string {
	t.Helper()
	host, port, _ := net.SplitHostPort(redisUpstream)
	argv := append([]string{rw.cli, "--no-auth-warning", "-a", redisSuperPass, "-h", host, "-p", port}, args...)
	out, err := tool(rw.gw, 10*time.Second, nil, argv...)
	if err != nil {
		t.Fatalf("redis-cli %s directly: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}

// tunnel runs a redis-cli command through connect's port, on the dev host;
// the developer gives no password.
func (rw *redisWorld) tunnel(args ...string) (string, error) {
	argv := append([]string{rw.cli, "-h", "127.0.0.1", "-p", strconv.Itoa(redisLocal)}, args...)
	out, err := tool(rw.dev, 10*time.Second, nil, argv...)
	return strings.TrimSpace(out), err
}

// keyspace is the database's size and content digest, read directly.
func (rw *redisWorld) keyspace(t *testing.T) string {
	return rw.direct(t, "DBSIZE") + " " + rw.direct(t, "DEBUG", "DIGEST")
}

func (rw *redisWorld) testCli(t *testing.T) {
	for _, args := range [][]string{{"GET", "k"}, {"MGET", "key:a", "key:b", "key:c"}, {"DBSIZE"}} {
		got, err := rw.tunnel(args...)
		if want := rw.direct(t, args...); err != nil || got != want {
			t.Errorf("redis-cli %s through the tunnel: %q %v; directly %q", strings.Join(args, " "), got, err, want)
		}
	}
	before := rw.keyspace(t)
	for _, args := range [][]string{{"SET", "k", "changed"}, {"DEL", "k"}, {"FLUSHALL"}} {
		out, _ := rw.tunnel(args...)
		if !strings.Contains(out, "NOPERM") || !strings.Contains(strings.ToUpper(out), args[0]) {
			t.Errorf("redis-cli %s through the tunnel: %q, want a NOPERM refusal naming %s", strings.Join(args, " "), out, args[0])
		}
	}
	if v := rw.direct(t, "GET", "k"); v != "hello" {
		t.Errorf("after the refused writes k is %q", v)
	}
	if after := rw.keyspace(t); after != before {
		t.Errorf("the refused writes changed the keyspace: %s, was %s", after, before)
	}
}

// bench runs redis-benchmark quietly through the tunnel (dev host) or
// directly (gateway host) and returns its requests per second. Since
// Redis 7 it exits with status 1 at the first error reply.
func (rw *redisWorld) bench(h *netnstest.Host, addr string, args ...string) ([]float64, string, error) {
	host, port, _ := net.SplitHostPort(addr)
	argv := append([]string{rw.bencher, "-h", host, "-p", port, "-q"}, args...)
	if h == rw.gw {
		argv = append(argv[:1], append([]string{"-a", redisSuperPass}, argv[1:]...)...)
	}
	out, err := tool(h, 30*time.Second, nil, argv...)
	var rates []float64
	for _, m := range regexp.MustCompile(`([\d.]+) requests per second`).FindAllStringSubmatch(out, -1) {
		r, _ := strconv.ParseFloat(m[1], 64)
		rates = append(rates, r)
	}
	return rates, out, err
}

// testBenchReads runs GET with -t and MGET as a given command: the
// redis-benchmark of Redis 7.0 has no mget test, and drops names it does
// not know from -t. Had the gateway refused one read, redis-benchmark
// would have failed. The same run directly is logged for scale.
func (rw *redisWorld) testBenchReads(t *testing.T) {
	local := fmt.Sprintf("127.0.0.1:%d", redisLocal)
	for _, args := range [][]string{
		{"-t", "get", "-n", "2000", "-c", "10"},
		{"-n", "2000", "-c", "10", "MGET", "key:a", "key:b", "key:c"},
	} {
		what := strings.Join(args, " ")
		rates, out, err := rw.bench(rw.dev, local, args...)
		if err != nil || len(rates) != 1 || rates[0] <= 0 || strings.Contains(out, "NOPERM") {
			t.Errorf("redis-benchmark %s through the tunnel: %v, rates %v\n%s", what, err, rates, out)
			continue
		}
		direct, _, _ := rw.bench(rw.gw, redisUpstream, args...)
		t.Logf("redis-benchmark %s: %.0f requests/s through the tunnel, %v directly", what, rates[0], direct)
	}
}

// testBenchWrites runs redis-benchmark's SET test through the tunnel: it
// stops at the first refusal, and the keyspace is what it was.
func (rw *redisWorld) testBenchWrites(t *testing.T) {
	before := rw.keyspace(t)
	_, out, err := rw.bench(rw.dev, fmt.Sprintf("127.0.0.1:%d", redisLocal), "-t", "set", "-n", "100")
	if err == nil || !strings.Contains(out, "NOPERM") {
		t.Errorf("redis-benchmark -t set through the tunnel: %v, want a failure on NOPERM\n%s", err, out)
	}
	if after := rw.keyspace(t); after != before {
		t.Errorf("redis-benchmark -t set through the tunnel changed the keyspace: %s, was %s", after, before)
	}
	if n := rw.direct(t, "EXISTS", "key:__rand_int__"); n != "0" {
		t.Errorf("redis-benchmark's key exists: %s", n)
	}
}

// command matches the record of a command (by name, any case) with a
// verdict.
func command(verdict, name string) func(hubapi.AuditRecord) bool {
	return func(r hubapi.AuditRecord) bool {
		return r.Verdict == verdict && strings.EqualFold(r.Detail["command"], name)
	}
}

// testAudit checks what the gateway records of a redis session today: one
// operation per command with its name and verdict; refusals say why.
func (rw *redisWorld) testAudit(t *testing.T) {
	wants := []opWant{
		{"redis-cli's and redis-benchmark's GETs", 2001, command("allowed", "get")},
		{"redis-cli's and redis-benchmark's MGETs", 2001, command("allowed", "mget")},
		{"redis-cli's and redis-benchmark's refused SETs", 2, command("refused", "set")},
		{"redis-cli's refused DEL", 1, command("refused", "del")},
		{"redis-cli's refused FLUSHALL", 1, command("refused", "flushall")},
	}
	ops := rw.operations(t, redisTarget, func(ops []hubapi.AuditRecord) error { return missing(ops, wants) })
	var bad error
	for _, r := range ops {
		if r.Verdict == "refused" && r.Detail["reason"] == "" {
			bad = errors.Join(bad, fmt.Errorf("refused %s without a reason", r.Detail["command"]))
		}
		if strings.Contains(fmt.Sprint(r.Detail), "changed") {
			bad = errors.Join(bad, fmt.Errorf("a value in the audit trail: %v", r.Detail))
		}
	}
	if bad != nil {
		t.Error(bad)
	}
	t.Logf("%d operation records of %s", len(ops), redisTarget)
}
