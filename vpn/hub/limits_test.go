package hub

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/wg"
)

// get sends a GET with a token and returns the answer's status, its
// Retry-After header and its error code.
func (c *apiClient) get(ctx context.Context, path, token string) (status int, retryAfter, code string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return 0, "", "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	var e hubapi.Error
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &e)
	return resp.StatusCode, resp.Header.Get("Retry-After"), e.Code, nil
}

// wantThrottled checks an answer is 429 too_many_requests with a
// Retry-After of whole seconds.
func wantThrottled(t *testing.T, what string, status int, retryAfter, code string, err error) {
	t.Helper()
	secs, aerr := strconv.Atoi(retryAfter)
	if err != nil || status != http.StatusTooManyRequests || code != "too_many_requests" || aerr != nil || secs < 1 {
		t.Errorf("%s: status %d, Retry-After %q, code %q, %v; want 429 too_many_requests with a Retry-After", what, status, retryAfter, code, err)
	}
}

// TestLongPollsAreCappedPerDevice: a device that opens more long-polls
// than the cap gets 429 at once, while other devices still poll and the
// hub's health answers. (The access half's grant waits and gateway polls
// share the cap: package accesshub tests them.)
func TestLongPollsAreCappedPerDevice(t *testing.T) {
	const max = 3
	held := make(chan string, max+2)
	th := startHub(t, Options{MaxLongPolls: max, pollHeld: func(key string) { held <- key }})
	ctx, cancel := context.WithCancel(t.Context())
	var polls sync.WaitGroup
	defer polls.Wait()
	defer cancel()

	alice := th.enroll(t, th.invite(t, "alice", InviteOptions{}), "laptop").Token
	erin := th.enroll(t, th.invite(t, "erin", InviteOptions{}), "laptop").Token
	nm, err := th.client.netMap(ctx, alice, 0)
	if err != nil {
		t.Fatal(err)
	}
	netmapPath := fmt.Sprintf("%s?since=%d", hubapi.PathNetMap, nm.Version)
	hold := func(path, token string) {
		polls.Go(func() { th.client.get(ctx, path, token) })
		<-held
	}
	for range max {
		hold(netmapPath, alice)
	}

	status, after, code, err := th.client.get(t.Context(), netmapPath, alice)
	wantThrottled(t, "a device's long-poll over the cap", status, after, code, err)

	hold(netmapPath, erin) // another device is not held back
	if status, _, _, err := th.client.get(t.Context(), PathHealth, ""); err != nil || status != http.StatusOK {
		t.Errorf("/healthz while a device is at its cap: %d, %v", status, err)
	}
}

// logLines collects JSON log records.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// records returns the records whose message is msg.
func (l *logLines) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for line := range strings.Lines(l.buf.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// clientFrom is an API client whose connections come from a local address.
func clientFrom(t *testing.T, th *testHub, local string) *apiClient {
	c := newAPIClient(th.Addr().String(), th.Fingerprint())
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	c.http.Transport.(*http.Transport).DialContext = d.DialContext
	t.Cleanup(c.http.CloseIdleConnections)
	return c
}

// noRefill is a bucket that does not refill within a test.
func noRefill(burst float64) bucketSpec { return bucketSpec{Rate: 1e-9, Burst: burst} }

// TestFailedAuthenticationsAreLimitedAndLogged: an address that keeps
// presenting bad tokens or invites is refused with 429 before its
// credentials are looked at (a good token too), other addresses are not,
// and the log names the address in one line, then one summing up.
func TestFailedAuthenticationsAreLimitedAndLogged(t *testing.T) {
	var logs logLines
	const burst = 5
	th := startHub(t, Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil)), authFailures: noRefill(burst)})
	good := th.enroll(t, th.invite(t, "ann", InviteOptions{}), "laptop")
	ctx := t.Context()

	for i := range burst {
		var err error
		if i%2 == 0 {
			_, err = th.client.netMap(ctx, fmt.Sprint("stolen-", i), 0)
		} else {
			_, err = th.client.enroll(ctx, fmt.Sprintf("%016x.guess", i), "x", newPublicKey(t))
		}
		if code := errCode(err); code != "unauthorized" && code != "invite_unknown" {
			t.Fatalf("bad credential %d: %v", i, err)
		}
	}
	status, after, code, err := th.client.get(ctx, hubapi.PathNetMap, "stolen-again")
	wantThrottled(t, "a bad token over the limit", status, after, code, err)
	status, after, code, err = th.client.get(ctx, hubapi.PathNetMap, good.Token)
	wantThrottled(t, "a good token from the same address", status, after, code, err)
	if _, err := th.client.enroll(ctx, "0123.guess", "x", newPublicKey(t)); errCode(err) != "too_many_requests" {
		t.Errorf("an invite guess over the limit: %v", err)
	}

	other := clientFrom(t, th, "127.0.0.2")
	if _, err := other.netMap(ctx, good.Token, 0); err != nil {
		t.Errorf("another address: %v", err)
	}

	lines := logs.records(t, "failed authentications")
	if len(lines) != 1 || lines[0]["source"] != "127.0.0.1" || lines[0]["level"] != "WARN" || lines[0]["count"] != 1.0 {
		t.Fatalf("log after %d failures: %v, want one Warn line naming 127.0.0.1", burst+3, lines)
	}
	th.authFailures.sweep(time.Now().Add(limitLogEvery))
	lines = logs.records(t, "failed authentications")
	if len(lines) != 2 || lines[1]["source"] != "127.0.0.1" || lines[1]["count"] != float64(burst-1) || lines[1]["refused"] != 3.0 {
		t.Errorf("log after the minute: %v, want a second line with the %d failures and 3 refusals held back", lines, burst-1)
	}
}

// TestKeyRotationsAreLimited: one address rotates a device's key a few
// times, not in a loop (each rotation changes a peer and wakes every
// device's long-poll).
func TestKeyRotationsAreLimited(t *testing.T) {
	const burst = 2
	th := startHub(t, Options{rotations: noRefill(burst)})
	dev := th.enroll(t, th.invite(t, "ann", InviteOptions{}), "laptop")
	for i := range burst + 1 {
		err := th.client.do(t.Context(), http.MethodPost, PathRotate, dev.Token, RotateRequest{PublicKey: newPublicKey(t)}, nil)
		if i < burst && err != nil {
			t.Fatalf("rotation %d: %v", i, err)
		}
		if i == burst {
			if errCode(err) != "too_many_requests" {
				t.Errorf("rotation %d over the limit: %v, want too_many_requests", i, err)
			}
		}
	}
}

// countingListener counts the bytes the server reads from its connections.
type countingListener struct {
	net.Listener
	read atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	return &countingConn{Conn: c, read: &l.read}, err
}

type countingConn struct {
	net.Conn
	read *atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// TestUnauthenticatedBodiesAreNotRead: a stranger's upload that never ends
// is answered 401 while the stranger is still sending it, and the hub has
// read next to none of it. (The access half's larger bodies, a gateway's
// up to 8 MiB, are tested in package accesshub.)
func TestUnauthenticatedBodiesAreNotRead(t *testing.T) {
	h, err := New(Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0", NewDevice: fakeDeviceFunc})
	if err != nil {
		t.Fatal(err)
	}
	counted := &countingListener{Listener: h.apiLn}
	h.apiLn = counted
	served := make(chan error, 1)
	go func() { served <- h.Serve(context.Background()) }()
	t.Cleanup(func() { h.Close(); <-served })

	for _, path := range []string{"POST " + PathRotate} {
		before := counted.read.Load()
		status := endlessUpload(t, h.Addr().String(), path)
		read := counted.read.Load() - before
		if status != http.StatusUnauthorized || read > 1<<20 {
			t.Errorf("%s with a bad token and an endless body: %d after the hub read %d bytes; want 401 before 1 MiB", path, status, read)
		}
	}
}

func fakeDeviceFunc(cfg wg.Config) (wg.Device, error) { return newFakeDevice(cfg), nil }

// endlessUpload sends "METHOD PATH" with a bad token and a body that does
// not end, and returns the status of the answer read while sending.
func endlessUpload(t *testing.T, addr, methodPath string) int {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	method, path, _ := strings.Cut(methodPath, " ")
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer forged\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"public_key\":\"",
		method, path, 1<<40)
	var sending sync.WaitGroup
	defer sending.Wait()
	defer conn.Close()
	sending.Go(func() {
		chunk := bytes.Repeat([]byte("a"), 64<<10)
		for {
			if _, err := conn.Write(chunk); err != nil {
				return
			}
		}
	})
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method, URL: &url.URL{Path: path}})
	if err != nil {
		t.Fatalf("%s: no answer while sending: %v", methodPath, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
