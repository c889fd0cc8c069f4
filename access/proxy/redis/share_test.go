package redis

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/access/proxy"
	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/google/go-cmp/cmp"
)

// upstreamClients counts the server's client connections whose CLIENT LIST
// line contains every one of attrs ("db=1", "resp=3", …), the admin's
// own included.
func upstreamClients(t *testing.T, admin *client, attrs ...string) int {
	t.Helper()
	n := 0
	for _, l := range strings.Split(admin.do(t, "CLIENT", "LIST"), "\n") {
		if !strings.Contains(l, "id=") {
			continue
		}
		all := true
		for _, a := range attrs {
			all = all && strings.Contains(l+" ", " "+a+" ")
		}
		if all {
			n++
		}
	}
	return n
}

// TestSharedClientsGetTheirOwnReplies runs many clients at once, each
// sending pipelines that mix reads, refused writes and an ECHO only it
// sends, and checks that every reply is the one a direct connection gives
// and in its place — while all of them share two upstream connections.
func TestSharedClientsGetTheirOwnReplies(t *testing.T) {
	srv := startRedis(t)
	admin := srv.admin(t)
	seed(t, admin)
	addr, _ := proxied(t, t.Context(), srv)
	reads := []string{"GET str", "GET missing", "GET bin", "MGET a b c missing", "HGETALL h", "LRANGE l 0 -1",
		"SMEMBERS s", "ZRANGE z 0 -1 WITHSCORES", "XRANGE st - +", "EXISTS a b missing", "STRLEN str", "PING"}
	want := map[string]string{}
	for _, r := range reads {
		want[r] = admin.do(t, splitStrings(t, r)...)
	}
	const clients, rounds = 40, 20
	conns := make([]*client, clients)
	for i := range conns {
		conns[i] = dial(t, addr)
	}
	testutil.Eventually(t, "the proxy has its 2 shared upstream connections", func() bool { return upstreamClients(t, admin) == 3 })
	before := srv.digest(t, admin)
	parsed := map[string][][]byte{"DEL str": mustSplit(t, "DEL str")}
	for _, r := range reads {
		parsed[r] = mustSplit(t, r)
	}
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			for round := range rounds {
				cmds, exp := mixedPipeline(rng, fmt.Sprintf("client %d round %d", i, round), reads, parsed, want)
				got, err := c.tryPipeline(cmds...)
				if err != nil {
					t.Errorf("client %d round %d: %v", i, round, err)
					return
				}
				if d := cmp.Diff(exp, got); d != "" {
					t.Errorf("client %d round %d: replies (-want +got):\n%s", i, round, d)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := upstreamClients(t, admin); n != 3 {
		t.Errorf("%d upstream connections, want 3 (the admin's and 2 shared)", n)
	}
	if after := srv.digest(t, admin); after != before {
		t.Errorf("dataset digest changed from %s to %s", before, after)
	}
}

// mixedPipeline is up to 30 commands, each a read (its reply in want), a
// refused DEL or an ECHO of something only this pipeline says, and the
// replies they must get.
func mixedPipeline(rng *rand.Rand, id string, reads []string, parsed map[string][][]byte,
	want map[string]string) (cmds [][][]byte, replies []string) {
	for j := range 1 + rng.IntN(30) {
		switch k := rng.IntN(len(reads) + 2); {
		case k < len(reads):
			cmds, replies = append(cmds, parsed[reads[k]]), append(replies, want[reads[k]])
		case k == len(reads):
			cmds = append(cmds, parsed["DEL str"])
			replies = append(replies, "-NOPERM this connection is read-only: DEL is not a read-only command\r\n")
		default:
			e := fmt.Sprintf("%s command %d", id, j)
			cmds = append(cmds, [][]byte{[]byte("ECHO"), []byte(e)})
			replies = append(replies, fmt.Sprintf("$%d\r\n%s\r\n", len(e), e))
		}
	}
	return cmds, replies
}

func splitStrings(t *testing.T, line string) []string {
	t.Helper()
	var out []string
	for _, a := range mustSplit(t, line) {
		out = append(out, string(a))
	}
	return out
}

// TestStatefulSessionGetsItsOwnConnection checks that SELECT, HELLO 3 and
// CLIENT SETNAME each move their session to an upstream connection of its
// own, that the session sees its own database, protocol and name there,
// and that a plain session next to them sees none of it.
func TestStatefulSessionGetsItsOwnConnection(t *testing.T) {
	srv := startRedis(t)
	admin := srv.admin(t)
	seed(t, admin)
	admin.do(t, "SELECT", "1")
	admin.do(t, "SET", "str", "in db 1")
	admin.do(t, "SELECT", "0")
	addr := serveProxy(t, t.Context(), Options{Upstream: srv.addr, Username: "default", Password: testPassword, Shared: 1},
		func(int) *audit { return &audit{} })
	plain := dial(t, addr)
	if r := plain.do(t, "GET", "str"); r != "$5\r\nhello\r\n" {
		t.Fatalf("plain GET str: %q", r)
	}
	sel := dial(t, addr)
	got := sel.pipeline(t, mustSplit(t, "GET str"), mustSplit(t, "SELECT 1"), mustSplit(t, "GET str"))
	if d := cmp.Diff([]string{"$5\r\nhello\r\n", "+OK\r\n", "$7\r\nin db 1\r\n"}, got); d != "" {
		t.Errorf("GET, SELECT 1, GET in one pipeline (-want +got):\n%s", d)
	}
	resp3 := dial(t, addr)
	if r := resp3.do(t, "HELLO", "3"); !strings.HasPrefix(r, "%") {
		t.Errorf("HELLO 3: %q", r)
	}
	if r := resp3.do(t, "HGETALL", "h"); !strings.HasPrefix(r, "%3\r\n") {
		t.Errorf("HGETALL after HELLO 3: %q, want a RESP3 map", r)
	}
	named := dial(t, addr)
	named.do(t, "CLIENT", "SETNAME", "mine")
	if r := named.do(t, "CLIENT", "GETNAME"); r != "$4\r\nmine\r\n" {
		t.Errorf("CLIENT GETNAME after SETNAME: %q", r)
	}
	for _, tc := range []struct{ cmd, want string }{
		{"GET str", "$5\r\nhello\r\n"},
		{"HGETALL h", "*6\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n$2\r\nf3\r\n$2\r\nv3\r\n"},
	} {
		if r := plain.do(t, splitStrings(t, tc.cmd)...); r != tc.want {
			t.Errorf("plain %s after the others changed their state: %q, want %q", tc.cmd, r, tc.want)
		}
	}
	if n := upstreamClients(t, admin); n != 5 {
		t.Errorf("%d upstream connections, want 5: the admin's, 1 shared, 3 dedicated", n)
	}
	for _, a := range []string{"db=1", "resp=3", "name=mine"} {
		if n := upstreamClients(t, admin, a); n != 1 {
			t.Errorf("%d upstream connections with %s, want 1", n, a)
		}
	}
	for _, c := range []*client{sel, resp3, named} {
		c.c.Close()
	}
	testutil.Eventually(t, "the dedicated connections end with their sessions", func() bool { return upstreamClients(t, admin) == 2 })
}

// TestSharedConnectionBreaks breaks the one shared upstream connection
// while a client has a command in flight: that client gets an error, a
// client sharing the connection with nothing in flight sees nothing, and
// both go on over a new connection.
func TestSharedConnectionBreaks(t *testing.T) {
	srv := startRedis(t)
	seed(t, srv.admin(t))
	rl := startRelay(t, srv.addr)
	addr := serveProxy(t, t.Context(), Options{Upstream: rl.addr, Username: "default", Password: testPassword, Shared: 1},
		func(int) *audit { return &audit{} })
	busy, idle := dial(t, addr), dial(t, addr)
	for _, c := range []*client{busy, idle} {
		if r := c.do(t, "GET", "str"); r != "$5\r\nhello\r\n" {
			t.Fatalf("GET str: %q", r)
		}
	}
	if n := rl.open(); n != 1 {
		t.Fatalf("%d upstream connections, want the 1 shared", n)
	}
	rl.hold()
	sent := rl.sentBytes()
	busy.c.SetDeadline(time.Now().Add(10 * time.Second))
	busy.c.Write(AppendCommand(nil, []byte("GET"), []byte("str")))
	testutil.Eventually(t, "the GET reaches the server", func() bool { return rl.sentBytes() > sent })
	rl.cut()
	r, err := busy.r.ReadReply(nil)
	if want := "-ERR devenv gateway: redis upstream: connection lost\r\n"; err != nil || string(r) != want {
		t.Fatalf("in-flight GET on the broken connection: %q, %v; want %q", r, err, want)
	}
	for name, c := range map[string]*client{"idle": idle, "busy": busy} {
		if r := c.do(t, "GET", "str"); r != "$5\r\nhello\r\n" {
			t.Errorf("%s client's GET after the break: %q", name, r)
		}
	}
	if n := rl.open(); n != 1 {
		t.Errorf("%d upstream connections after the break, want 1 new shared one", n)
	}
}

// TestDedicatedConnectionBreaks ends a session whose own upstream
// connection breaks, after telling it why.
func TestDedicatedConnectionBreaks(t *testing.T) {
	srv := startRedis(t)
	seed(t, srv.admin(t))
	rl := startRelay(t, srv.addr)
	addr := serveProxy(t, t.Context(), Options{Upstream: rl.addr, Username: "default", Password: testPassword},
		func(int) *audit { return &audit{} })
	c := dial(t, addr)
	if r := c.do(t, "SELECT", "0"); r != "+OK\r\n" {
		t.Fatalf("SELECT 0: %q", r)
	}
	rl.hold()
	sent := rl.sentBytes()
	c.c.SetDeadline(time.Now().Add(10 * time.Second))
	c.c.Write(AppendCommand(nil, []byte("GET"), []byte("str")))
	testutil.Eventually(t, "the GET reaches the server", func() bool { return rl.sentBytes() > sent })
	rl.cut()
	r, err := c.r.ReadReply(nil)
	if want := "-ERR devenv gateway: redis upstream: connection lost\r\n"; err != nil || string(r) != want {
		t.Fatalf("in-flight GET on the broken connection: %q, %v; want %q", r, err, want)
	}
	if r, err := c.r.ReadReply(nil); err == nil {
		t.Fatalf("the session outlived its connection: %q", r)
	}
}

// TestAuditPerSession checks that each session's commands reach its own
// audit, also when their commands share a connection.
func TestAuditPerSession(t *testing.T) {
	srv := startRedis(t)
	seed(t, srv.admin(t))
	audits := []*audit{{}, {}}
	addr := serveProxy(t, t.Context(), Options{Upstream: srv.addr, Username: "default", Password: testPassword, Shared: 1},
		func(i int) *audit { return audits[i] })
	a := dial(t, addr)
	a.do(t, "PING") // accepted first
	b := dial(t, addr)
	a.pipeline(t, mustSplit(t, "GET str"), mustSplit(t, "SET str x"))
	b.pipeline(t, mustSplit(t, "MGET a b"), mustSplit(t, "HGET h f1"))
	type op struct{ Verdict, Command, Keys string }
	ops := func(au *audit) []op {
		var out []op
		for _, o := range au.all() {
			out = append(out, op{o.Verdict, o.Detail["command"], o.Detail["keys"]})
		}
		return out
	}
	wantA := []op{{proxy.Allowed, "ping", "0"}, {proxy.Allowed, "get", "1"}, {proxy.Refused, "set", "1"}}
	wantB := []op{{proxy.Allowed, "mget", "2"}, {proxy.Allowed, "hget", "1"}}
	if d := cmp.Diff(wantA, ops(audits[0])); d != "" {
		t.Errorf("first session's audit (-want +got):\n%s", d)
	}
	if d := cmp.Diff(wantB, ops(audits[1])); d != "" {
		t.Errorf("second session's audit (-want +got):\n%s", d)
	}
}

// TestBlockingReadGetsItsOwnConnection blocks one client in XREAD BLOCK
// and checks that a plain client sharing the same shared connection is
// still answered, and that the blocked read returns once the stream grows.
func TestBlockingReadGetsItsOwnConnection(t *testing.T) {
	srv := startRedis(t)
	admin := srv.admin(t)
	seed(t, admin)
	addr := serveProxy(t, t.Context(), Options{Upstream: srv.addr, Username: "default", Password: testPassword, Shared: 1},
		func(int) *audit { return &audit{} })
	blocked, plain := dial(t, addr), dial(t, addr)
	for _, c := range []*client{blocked, plain} {
		if r := c.do(t, "XLEN", "st"); r != ":2\r\n" {
			t.Fatalf("XLEN st: %q", r)
		}
	}
	blocked.c.SetDeadline(time.Now().Add(10 * time.Second))
	blocked.c.Write(AppendCommand(nil, []byte("XREAD"), []byte("BLOCK"), []byte("0"), []byte("STREAMS"), []byte("st"), []byte("$")))
	testutil.Eventually(t, "the XREAD blocks upstream", func() bool { return upstreamClients(t, admin, "cmd=xread") == 1 })
	for range 3 {
		if r := plain.do(t, "GET", "str"); r != "$5\r\nhello\r\n" {
			t.Fatalf("plain GET while another client blocks: %q", r)
		}
	}
	admin.do(t, "XADD", "st", "3-1", "h", "x")
	r, err := blocked.r.ReadReply(nil)
	if want := "*1\r\n*2\r\n$2\r\nst\r\n*1\r\n*2\r\n$3\r\n3-1\r\n*2\r\n$1\r\nh\r\n$1\r\nx\r\n"; err != nil || string(r) != want {
		t.Fatalf("XREAD BLOCK after XADD: %q, %v; want %q", r, err, want)
	}
}
