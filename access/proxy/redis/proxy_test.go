package redis

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/access/proxy"
	"github.com/devenv-dev/devenv/internal/testutil"
)

func TestWritesRefused(t *testing.T) {
	srv := startRedis(t)
	admin := srv.admin(t)
	seed(t, admin)
	before := srv.digest(t, admin)
	addr, _ := proxied(t, t.Context(), srv)
	c := dial(t, addr)
	c.do(t, "PING") // the proxy has logged in and learned COMMAND
	admin.do(t, "CONFIG", "RESETSTAT")
	cases := corpus(t, "writes.txt")
	if len(cases) < 40 {
		t.Fatalf("writes.txt has %d cases, want at least 40", len(cases))
	}
	for _, cmds := range cases {
		var args [][][]byte
		for _, cmd := range cmds {
			args = append(args, mustSplit(t, strings.TrimPrefix(cmd, "+")))
		}
		replies := c.pipeline(t, args...)
		for i, cmd := range cmds {
			t.Logf("%-40.40s %q", cmd, replies[i])
			refused := strings.HasPrefix(replies[i], "-NOPERM this connection is read-only: ")
			if pass := strings.HasPrefix(cmd, "+"); pass == refused || (pass && strings.HasPrefix(replies[i], "-")) {
				t.Errorf("%s: %s: got %q", strings.Join(cmds, " ;; "), cmd, replies[i])
			}
		}
		if r := c.do(t, "PING"); r != "+PONG\r\n" {
			t.Fatalf("after %v: PING answered %q", cmds, r)
		}
		if after := srv.digest(t, admin); after != before {
			t.Fatalf("after %v: dataset digest changed from %s to %s", cmds, before, after)
		}
	}
	// Refused commands never reached the server: it ran only the reads,
	// the PINGs and the admin's own commands.
	ran := map[string]bool{"get": true, "ping": true, "debug": true, "config": true, "info": true, "lastsave": true}
	for _, l := range strings.Split(admin.do(t, "INFO", "commandstats"), "\r\n") {
		name, _, ok := strings.Cut(strings.TrimPrefix(l, "cmdstat_"), ":")
		name, _, _ = strings.Cut(name, "|")
		if ok && strings.HasPrefix(l, "cmdstat_") && !ran[name] {
			t.Errorf("the server ran %s: %s", name, l)
		}
	}
}

func TestReadsAnswerAsDirect(t *testing.T) {
	srv := startRedis(t)
	admin := srv.admin(t)
	seed(t, admin)
	addr, _ := proxied(t, t.Context(), srv)
	cases := corpus(t, "reads.txt")
	if len(cases) < 30 {
		t.Fatalf("reads.txt has %d cases, want at least 30", len(cases))
	}
	for _, proto := range []string{"2", "3"} {
		t.Run("RESP"+proto, func(t *testing.T) {
			direct, via := srv.admin(t), dial(t, addr)
			hd, hv := direct.do(t, "HELLO", proto), via.do(t, "HELLO", proto, "AUTH", "default", "wrong")
			if hd[0] != hv[0] || strings.HasPrefix(hv, "-") {
				t.Fatalf("HELLO %s: direct %q, proxied %q", proto, hd, hv)
			}
			for _, cmds := range cases {
				a := mustSplit(t, cmds[0])
				want, got := direct.pipeline(t, a)[0], via.pipeline(t, a)[0]
				if got != want {
					t.Errorf("%s: proxied %q, direct %q", cmds[0], got, want)
				}
			}
		})
	}
}

func TestInlineAndPipeline(t *testing.T) {
	srv := startRedis(t)
	seed(t, srv.admin(t))
	addr, ops := proxied(t, t.Context(), srv)
	c := dial(t, addr)
	c.c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c.c, "GET str\r\nSET str x\r\n\r\nAUTH whatever\r\nmget a \"b\" 'c'\n")
	want := []string{"$5\r\nhello\r\n", "-NOPERM this connection is read-only: SET is not a read-only command\r\n",
		"+OK\r\n", "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"}
	for _, w := range want {
		r, err := c.r.ReadReply(nil)
		if err != nil || string(r) != w {
			t.Fatalf("inline: got %q, %v; want %q", r, err, w)
		}
	}
	var batch [][][]byte
	for i := range 500 {
		if i%3 == 0 {
			batch = append(batch, [][]byte{[]byte("DEL"), []byte("a")})
		} else {
			batch = append(batch, [][]byte{[]byte("ECHO"), []byte(strconv.Itoa(i))})
		}
	}
	for i, r := range c.pipeline(t, batch...) {
		want := "$" + strconv.Itoa(len(strconv.Itoa(i))) + "\r\n" + strconv.Itoa(i) + "\r\n"
		if i%3 == 0 {
			want = "-NOPERM this connection is read-only: DEL is not a read-only command\r\n"
		}
		if r != want {
			t.Fatalf("pipelined reply %d: %q, want %q", i, r, want)
		}
	}
	var mget, set bool
	for _, o := range ops.all() {
		mget = mget || (o.Detail["command"] == "mget" && o.Detail["keys"] == "3" && o.Verdict == proxy.Allowed)
		set = set || (o.Detail["command"] == "set" && o.Detail["keys"] == "1" && o.Verdict == proxy.Refused &&
			o.Detail["reason"] != "")
	}
	if !mget || !set {
		t.Errorf("audit misses mget (3 keys, allowed) or set (1 key, refused):\n%s", fmtOps(ops.all()))
	}
}

func TestTransaction(t *testing.T) {
	srv := startRedis(t)
	seed(t, srv.admin(t))
	addr, _ := proxied(t, t.Context(), srv)
	c := dial(t, addr)
	got := c.pipeline(t, mustSplit(t, "WATCH str"), mustSplit(t, "MULTI"), mustSplit(t, "GET str"),
		mustSplit(t, "HGET h f1"), mustSplit(t, "EXEC"), mustSplit(t, "RESET"), mustSplit(t, "GET a"))
	want := []string{"+OK\r\n", "+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n",
		"*2\r\n$5\r\nhello\r\n$2\r\nv1\r\n", "+RESET\r\n", "$1\r\n1\r\n"}
	if strings.Join(got, "") != strings.Join(want, "") {
		t.Fatalf("transaction: got %q, want %q", got, want)
	}
}

func TestRedisCLIAndBenchmark(t *testing.T) {
	srv := startRedis(t)
	seed(t, srv.admin(t))
	addr, _ := proxied(t, t.Context(), srv)
	host, port, _ := strings.Cut(addr, ":")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"get", "str"}, "hello\n"},
		{[]string{"hgetall", "h"}, "f1\nv1\nf2\nv2\nf3\nv3\n"},
		{[]string{"set", "str", "x"}, "NOPERM this connection is read-only: SET is not a read-only command\n"},
		{[]string{"-3", "hget", "h", "f1"}, "v1\n"},
	} {
		out, err := redisTool(t, "redis-cli", append([]string{"-h", host, "-p", port}, tc.args...)...)
		if err != nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("redis-cli %v: %q, %v; want %q", tc.args, out, err, tc.want)
		}
	}
	out, err := redisTool(t, "redis-benchmark", "-h", host, "-p", port, "-t", "get", "-n", "2000", "-q")
	if err != nil || !strings.Contains(string(out), "GET:") {
		t.Fatalf("redis-benchmark: %v\n%s", err, out)
	}
	t.Logf("redis-benchmark through the proxy: %s", bytes.TrimSpace(out))
}

// TestRedisBenchmarkDefaults runs redis-benchmark's default test set
// through the proxy: its reads (PING_INLINE, PING_MBULK, GET, and the
// LRANGEs on a list seeded directly, given as commands since the tests
// would LPUSH first) run, also pipelined, and every write test stops at
// the refusal of its first write instead of hanging.
func TestRedisBenchmarkDefaults(t *testing.T) {
	srv := startRedis(t)
	admin := srv.admin(t)
	seed(t, admin)
	list := []string{"RPUSH", "mylist"}
	for i := range 600 {
		list = append(list, strconv.Itoa(i))
	}
	admin.do(t, list...)
	addr, _ := proxied(t, t.Context(), srv)
	host, port, _ := strings.Cut(addr, ":")
	bench := func(args ...string) (string, error) {
		t.Helper()
		out, err := redisTool(t, "redis-benchmark", append([]string{"-h", host, "-p", port, "-n", "2000", "-q"}, args...)...)
		return strings.ReplaceAll(string(out), "\r", "\n"), err
	}
	for _, args := range [][]string{
		{"-t", "ping_inline,ping_mbulk,get"},
		{"-t", "get", "-c", "50", "-P", "16"},
		{"LRANGE", "mylist", "0", "99"},
		{"LRANGE", "mylist", "0", "599"},
	} {
		out, err := bench(args...)
		if err != nil || !strings.Contains(out, "requests per second") || strings.Contains(out, "Error") {
			t.Errorf("redis-benchmark %v: %v\n%s", args, err, out)
		}
	}
	for _, test := range []string{"set", "incr", "lpush", "rpush", "lpop", "rpop", "sadd", "hset", "spop", "zadd",
		"zpopmin", "lrange_100", "mset"} {
		// redis-benchmark exits 1 on an error reply; a hang would end in
		// redisTool's timeout instead.
		out, err := bench("-t", test)
		if !strings.Contains(out, "Error from server: NOPERM this connection is read-only: ") || err == nil ||
			strings.Contains(err.Error(), "killed") {
			t.Errorf("redis-benchmark -t %s: %v, no refusal:\n%s", test, err, out)
		}
	}
}

func redisTool(t *testing.T, name string, args ...string) ([]byte, error) {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (Debian: apt-get install redis-tools)", name)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, bin, args...).CombinedOutput()
}

func TestGrantEnds(t *testing.T) {
	srv := startRedis(t)
	admin := srv.admin(t)
	ctx, cancel := context.WithCancelCause(t.Context())
	addr, _ := proxied(t, ctx, srv)
	c := dial(t, addr)
	if r := c.do(t, "PING"); r != "+PONG\r\n" {
		t.Fatalf("PING: %q", r)
	}
	clients := func() int { return strings.Count(admin.do(t, "CLIENT", "LIST"), "id=") }
	if n := clients(); n != 2 {
		t.Fatalf("%d upstream clients, want 2 (admin and the proxy)", n)
	}
	cancel(context.Canceled)
	c.c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.r.ReadReply(nil); err == nil {
		t.Fatal("the client connection outlived its grant")
	}
	testutil.Eventually(t, "the upstream connection to end with its grant", func() bool { return clients() == 1 })
}
