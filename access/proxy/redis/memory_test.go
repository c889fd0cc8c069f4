package redis

import (
	"bytes"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// heapWatch samples the test process's heap — the proxy's, as the test
// itself holds little — while an attack runs.
type heapWatch struct {
	stop chan struct{}
	done chan struct{}
	peak uint64 // the largest HeapAlloc sampled, garbage not yet collected included
}

func watchHeap() *heapWatch {
	h := &heapWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			h.peak = max(h.peak, ms.HeapAlloc)
			select {
			case <-h.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

// end stops sampling and returns the peak.
func (h *heapWatch) end() uint64 {
	close(h.stop)
	<-h.done
	return h.peak
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// chunk is 1 MiB the attacks send over and over, so that the test holds
// no more than that of what it sends.
var chunk = []byte(strings.Repeat("A", 1<<20))

// writeBulk writes a bulk string of n bytes of chunk; with short it
// stops that many bytes before the end, leaving the command unfinished.
func writeBulk(c net.Conn, n, short int) error {
	if _, err := fmt.Fprintf(c, "$%d\r\n", n); err != nil {
		return err
	}
	rest := n + 2 - short
	for rest > 0 {
		k := min(rest, len(chunk))
		b := chunk[:k]
		if rest-k < 2 && short == 0 { // the CRLF that ends it
			b = append(chunk[:k-(2-(rest-k)):k-(2-(rest-k))], "\r\n"[:2-(rest-k)]...)
		}
		if _, err := c.Write(b); err != nil {
			return err
		}
		rest -= k
	}
	return nil
}

// next reads one reply.
func (c *client) next(t *testing.T) string {
	t.Helper()
	c.c.SetDeadline(time.Now().Add(30 * time.Second))
	r, err := c.r.ReadReply(nil)
	if err != nil {
		t.Fatalf("reading a reply: %v", err)
	}
	return string(r)
}

// TestMemoryBoundedUnderAttack runs the attacks that took the proxy from
// 14 MiB to gigabytes and checks its heap stays within generous bounds,
// that a bystander session's PING is answered meanwhile, and that the
// server never ran the oversized commands (INFO commandstats) nor changed
// (DEBUG DIGEST). The bystander's slowest PING is logged, not bounded:
// during the MGET it is the server's own time building a 512 MiB reply,
// the same on a direct connection.
func TestMemoryBoundedUnderAttack(t *testing.T) {
	srv := startRedis(t)
	admin := srv.admin(t)
	seed(t, admin)
	for i := range 16 {
		admin.do(t, "SETRANGE", "v"+strconv.Itoa(i), strconv.Itoa(32<<20-1), "x")
	}
	digest := srv.digest(t, admin)
	admin.do(t, "CONFIG", "RESETSTAT")
	addr, _ := proxied(t, t.Context(), srv)
	bystander := dial(t, addr)
	if r := bystander.do(t, "PING"); r != "+PONG\r\n" {
		t.Fatalf("PING: %q", r)
	}
	base := liveHeap()
	t.Logf("heap before the attacks: %s", mib(base))

	// pinging runs PING on the bystander until stop and returns the
	// slowest answer.
	pinging := func(stop <-chan struct{}) func() time.Duration {
		var wg sync.WaitGroup
		var slowest time.Duration
		var err error
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
				start := time.Now()
				var r []string
				if r, err = bystander.tryPipeline([][]byte{[]byte("PING")}); err != nil || r[0] != "+PONG\r\n" {
					err = fmt.Errorf("PING: %q, %v", r, err)
					return
				}
				slowest = max(slowest, time.Since(start))
			}
		})
		return func() time.Duration {
			wg.Wait()
			if err != nil {
				t.Errorf("bystander: %v", err)
			}
			return slowest
		}
	}

	for _, tc := range []struct {
		name   string
		attack func(t *testing.T, c *client) // leaves the session stalled or answered
		finish func(t *testing.T, c *client) // nil: attack finished it
		peak   uint64                        // bound of the heap's peak over base
	}{
		{"MGET of 16 values of 32 MiB", func(t *testing.T, c *client) {
			args := []string{"MGET"}
			for i := range 16 {
				args = append(args, "v"+strconv.Itoa(i))
			}
			want := "-ERR devenv gateway: reply discarded: it is larger than this session's reply limit of 64 MiB " +
				"(replies the client has not read yet count against it)\r\n"
			if r := c.do(t, args...); r != want {
				t.Errorf("MGET: %.200q, want %q", r, want)
			}
		}, nil, 400 << 20},
		{"MULTI with 256 commands of 1 MiB", func(t *testing.T, c *client) {
			c.c.SetDeadline(time.Now().Add(60 * time.Second))
			var wg sync.WaitGroup
			wg.Go(func() {
				fmt.Fprintf(c.c, "*1\r\n$5\r\nMULTI\r\n")
				for range 256 {
					fmt.Fprintf(c.c, "*2\r\n$4\r\nECHO\r\n")
					if err := writeBulk(c.c, 1<<20, 0); err != nil {
						t.Errorf("writing: %v", err)
						return
					}
				}
				fmt.Fprintf(c.c, "*1\r\n$4\r\nEXEC\r\n")
			})
			if r := c.next(t); r != "+OK\r\n" {
				t.Errorf("MULTI: %q", r)
			}
			queued := 0
			for range 256 {
				switch r := c.next(t); r {
				case "+QUEUED\r\n":
					queued++
				case "-ERR devenv gateway: the queued commands are larger than the request limit of 16 MiB; EXEC will discard the transaction\r\n":
				default:
					t.Errorf("queueing: %q", r)
				}
			}
			want := "-EXECABORT devenv gateway: transaction discarded: the queued commands are larger than the request limit of 16 MiB\r\n"
			if r := c.next(t); r != want {
				t.Errorf("EXEC: %q, want %q", r, want)
			}
			wg.Wait()
			t.Logf("%d commands queued before the limit", queued)
		}, nil, 200 << 20},
		{"one command with 256 arguments of 1 MiB", func(t *testing.T, c *client) {
			c.c.SetDeadline(time.Now().Add(60 * time.Second))
			var wg sync.WaitGroup
			wg.Go(func() {
				fmt.Fprintf(c.c, "*257\r\n$4\r\nMGET\r\n")
				for range 256 {
					if err := writeBulk(c.c, 1<<20, 0); err != nil {
						t.Errorf("writing: %v", err)
						return
					}
				}
			})
			want := "-ERR devenv gateway: command discarded: it is larger than this session's request limit of 16 MiB\r\n"
			if r := c.next(t); r != want {
				t.Errorf("MGET: %q, want %q", r, want)
			}
			wg.Wait()
		}, nil, 200 << 20},
		{"an unfinished command with 4 arguments of 128 MiB", func(t *testing.T, c *client) {
			c.c.SetDeadline(time.Now().Add(60 * time.Second))
			fmt.Fprintf(c.c, "*5\r\n$4\r\nMGET\r\n")
			for i := range 4 {
				short := 0
				if i == 3 {
					short = 1000
				}
				if err := writeBulk(c.c, 128<<20, short); err != nil {
					t.Fatalf("writing: %v", err)
				}
			}
		}, func(t *testing.T, c *client) {
			c.c.Write(append([]byte(strings.Repeat("A", 998)), '\r', '\n'))
			want := "-ERR devenv gateway: command discarded: it is larger than this session's request limit of 16 MiB\r\n"
			if r := c.next(t); r != want {
				t.Errorf("MGET: %q, want %q", r, want)
			}
		}, 200 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, addr)
			if r := c.do(t, "PING"); r != "+PONG\r\n" {
				t.Fatalf("PING: %q", r)
			}
			stop := make(chan struct{})
			slowest := pinging(stop)
			h := watchHeap()
			start := time.Now()
			tc.attack(t, c)
			live := liveHeap()
			peak := h.end()
			if tc.finish != nil {
				time.Sleep(100 * time.Millisecond) // not an event: the heap is measured once the proxy could have buffered all it was sent
				live = max(live, liveHeap())
				tc.finish(t, c)
			}
			took := time.Since(start)
			close(stop)
			t.Logf("took %v; heap peak %s, live after GC %s (base %s); the bystander's slowest PING %v",
				took.Round(time.Millisecond), mib(peak), mib(live), mib(base), slowest().Round(time.Millisecond))
			if peak > base+tc.peak {
				t.Errorf("heap peaked at %s, over %s + %s", mib(peak), mib(base), mib(tc.peak))
			}
			if live > base+32<<20 {
				t.Errorf("live heap %s during or after the attack, over %s + 32 MiB", mib(live), mib(base))
			}
			if r := c.do(t, "GET", "str"); r != "$5\r\nhello\r\n" {
				t.Errorf("GET str after the attack: %q", r)
			}
		})
	}
	// Only the first MGET reached the server: its reply was what was too
	// large. Neither the transaction nor the oversized commands did.
	for name, want := range map[string]int{"mget": 1, "echo": 0, "multi": 0, "exec": 0} {
		if n := commandCalls(t, admin, name); n != want {
			t.Errorf("the server ran %s %d times, want %d", name, n, want)
		}
	}
	if after := srv.digest(t, admin); after != digest {
		t.Errorf("dataset digest changed from %s to %s", digest, after)
	}
}

// TestSlowClientOnItsOwnConnection pipelines 100 GETs of a 1 MiB value on
// a session with its own connection (after SELECT 0) and a 4 MiB reply
// budget, and reads them only after a pause: the proxy waits for the
// client instead of holding 100 MiB or discarding replies, so every reply
// arrives whole, and the heap stays far below what was asked for. The
// server ran every GET once.
func TestSlowClientOnItsOwnConnection(t *testing.T) {
	srv := startRedis(t)
	admin := srv.admin(t)
	admin.do(t, "SET", "v", strings.Repeat("v", 1<<20))
	admin.do(t, "CONFIG", "RESETSTAT")
	addr := serveProxy(t, t.Context(), Options{Upstream: srv.addr, Username: "default", Password: testPassword,
		MaxReplyBytes: 4 << 20}, func(int) *audit { return &audit{} })
	c := dial(t, addr)
	if r := c.do(t, "SELECT", "0"); r != "+OK\r\n" {
		t.Fatalf("SELECT 0: %q", r)
	}
	base := liveHeap()
	h := watchHeap()
	var req []byte
	for range 100 {
		req = AppendCommand(req, []byte("GET"), []byte("v"))
	}
	c.c.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := c.c.Write(req); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // not an event: a client that lags is the behaviour under test
	live := liveHeap()
	want := []byte(fmt.Sprintf("$%d\r\n%s\r\n", 1<<20, strings.Repeat("v", 1<<20)))
	var r []byte
	for i := range 100 {
		var err error
		if r, err = c.r.ReadReply(r[:0]); err != nil || !bytes.Equal(r, want) {
			t.Fatalf("reply %d: %.100q, %v", i, r, err)
		}
	}
	peak := h.end()
	t.Logf("heap: base %s, live while the client lagged %s, peak %s", mib(base), mib(live), mib(peak))
	if live > base+16<<20 || peak > base+64<<20 {
		t.Errorf("heap live %s, peak %s over base %s: the proxy held the replies", mib(live), mib(peak), mib(base))
	}
	if n := commandCalls(t, admin, "get"); n != 100 {
		t.Errorf("the server ran GET %d times, want 100", n)
	}
}
