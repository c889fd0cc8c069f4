package redis

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/access/proxy"
	"github.com/devenv-dev/devenv/internal/testutil"
)

const testPassword = "s3cret-upstream"

// redisServer is a redis-server started for one test, with a password,
// no persistence and DEBUG allowed from loopback (for DEBUG DIGEST).
type redisServer struct {
	addr string
}

func startRedis(t *testing.T) *redisServer {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a redis-server; skipped with -short")
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed (Debian: apt-get install redis-server redis-tools)")
	}
	port := freePort(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--requirepass", testPassword,
		"--enable-debug-command", "local", "--enable-module-command", "no")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if testing.Verbose() == false {
		cmd.Stdout, cmd.Stderr = nil, nil
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	s := &redisServer{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	testutil.EventuallyNoError(t, "redis-server on "+s.addr+" to come up", func() error {
		c, err := net.Dial("tcp", s.addr)
		if err == nil {
			c.Close()
		}
		return err
	})
	return s
}

// freePort picks a port for redis-server, which cannot bind port 0 and
// say which it got.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// admin is a direct, authenticated connection to the server.
func (s *redisServer) admin(t *testing.T) *client {
	t.Helper()
	c := dial(t, s.addr)
	if r := c.do(t, "AUTH", testPassword); r != "+OK\r\n" {
		t.Fatalf("AUTH: %q", r)
	}
	return c
}

// digest is the server's checksum of the whole dataset.
func (s *redisServer) digest(t *testing.T, admin *client) string {
	t.Helper()
	d := admin.do(t, "DEBUG", "DIGEST")
	if !strings.HasPrefix(d, "+") {
		t.Fatalf("DEBUG DIGEST: %q", d)
	}
	return d
}

// client speaks raw RESP, so that replies are compared byte for byte.
type client struct {
	c net.Conn
	r *Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{c: c, r: NewReader(c)}
}

// pipeline sends every command in one write and returns the raw replies.
func (c *client) pipeline(t *testing.T, cmds ...[][]byte) []string {
	t.Helper()
	replies, err := c.tryPipeline(cmds...)
	if err != nil {
		t.Fatal(err)
	}
	return replies
}

// tryPipeline is pipeline for goroutines other than the test's.
func (c *client) tryPipeline(cmds ...[][]byte) ([]string, error) {
	var out []byte
	for _, a := range cmds {
		out = AppendCommand(out, a...)
	}
	c.c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.c.Write(out); err != nil {
		return nil, err
	}
	replies := make([]string, len(cmds))
	for i := range cmds {
		r, err := c.r.ReadReply(nil)
		if err != nil {
			return nil, fmt.Errorf("reading reply %d to %q: %w", i, cmds[i], err)
		}
		replies[i] = string(r)
	}
	return replies, nil
}

func (c *client) do(t *testing.T, args ...string) string {
	t.Helper()
	a := make([][]byte, len(args))
	for i, s := range args {
		a[i] = []byte(s)
	}
	return c.pipeline(t, a)[0]
}

// audit collects a session's operations.
type audit struct {
	mu  sync.Mutex
	ops []proxy.Operation
}

func (a *audit) record(o proxy.Operation) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ops = append(a.ops, o)
}

func (a *audit) all() []proxy.Operation {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]proxy.Operation(nil), a.ops...)
}

// proxied serves a proxy to s on a loopback listener, each connection
// through Serve under ctx, and returns its address and the audit of all
// sessions.
func proxied(t *testing.T, ctx context.Context, s *redisServer) (string, *audit) {
	t.Helper()
	a := &audit{}
	addr := serveProxy(t, ctx, Options{Upstream: s.addr, Username: "default", Password: testPassword},
		func(int) *audit { return a })
	return addr, a
}

// serveProxy serves a proxy with opts on a loopback listener; the i-th
// session accepted records to auditOf(i).
func serveProxy(t *testing.T, ctx context.Context, opts Options, auditOf func(i int) *audit) string {
	t.Helper()
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.(*Proxy).Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for i := 0; ; i++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			sess := proxy.Session{RequestID: "r1", Requester: "dev", Target: "cache", Record: auditOf(i).record}
			go h.Serve(ctx, c, sess)
		}
	}()
	return ln.Addr().String()
}

// corpus reads a testdata file: one case a line, commands split by ";;".
func corpus(t *testing.T, name string) [][]string {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		var cmds []string
		for _, c := range strings.Split(l, ";;") {
			cmds = append(cmds, strings.TrimSpace(c))
		}
		cases = append(cases, cmds)
	}
	return cases
}

func mustSplit(t *testing.T, line string) [][]byte {
	t.Helper()
	a, err := SplitArgs(line)
	if err != nil || len(a) == 0 {
		t.Fatalf("splitting %q: %v", line, err)
	}
	return a
}

func seed(t *testing.T, admin *client) {
	t.Helper()
	for _, c := range corpus(t, "seed.txt") {
		if r := admin.pipeline(t, mustSplit(t, c[0]))[0]; strings.HasPrefix(r, "-") {
			t.Fatalf("seeding %s: %s", c[0], r)
		}
	}
}

func fmtOps(ops []proxy.Operation) string {
	var b strings.Builder
	for _, o := range ops {
		fmt.Fprintf(&b, "%s %v\n", o.Verdict, o.Detail)
	}
	return b.String()
}
