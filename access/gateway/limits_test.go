package gateway

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/testutil"
)

// TestSessionLimits: a grant holds at most sessions_per_grant connections,
// all grants of a target at most sessions; a refused client is told which
// limit in its own protocol (here HTTP's 429), the refusal is audited, and
// a connection that ends makes room again.
func TestSessionLimits(t *testing.T) {
	hub := newFakeHub(t)
	c := testConfig(t, hub, prodUpstream(t).URL, t.TempDir(), 30*time.Second)
	c.Targets[0].Limits = &Limits{SessionsPerGrant: 1}              // web (http)
	c.Targets[2].Limits = &Limits{SessionsPerGrant: 2, Sessions: 3} // echo (tcp)
	gw, _ := startGateway(t, c, hub.client())
	notAfter := time.Now().Add(time.Minute)
	ann := newClient(t, gw, "echo", notAfter)
	bob := newClient(t, gw, "echo", notAfter)
	web := newClient(t, gw, "web", notAfter)
	hub.set(ann.grant, bob.grant, web.grant)
	testutil.Eventually(t, "the grants' peers", func() bool { return peerCount(t, gw) == 3 })

	echo := c.TargetAddress(2).String()
	a1, a2 := mustEcho(t, ann, echo), mustEcho(t, ann, echo)
	defer a2.Close()
	// A third connection waits for room (up to admitWait) and is served
	// once one of the grant's ends.
	third := make(chan net.Conn, 1)
	go func() {
		conn, err := ann.dev.DialContext(t.Context(), "tcp", echo)
		if err == nil && !echoes(conn) {
			conn.Close()
			conn = nil
		}
		third <- conn
	}()
	a1.Close()
	a3 := <-third
	if a3 == nil {
		t.Fatal("a connection waiting for room was not served when one of the grant's ended")
	}
	defer a3.Close()
	assertClosed(t, ann, echo, "a third connection held at once (sessions_per_grant: 2)")
	b1 := mustEcho(t, bob, echo)
	defer b1.Close()
	assertClosed(t, bob, echo, "a fourth connection to the target (sessions: 3)")

	cut := web.stream(t)                                   // holds web's one session
	status, body, err := getWithin(t, web, 10*time.Second) // refused once admitWait is over
	if err != nil || status != 429 || !strings.Contains(body, "limit: sessions per grant on target web (1 at once)") {
		t.Errorf("a second HTTP session of one grant: %d %q %v, want 429 naming the limit", status, body, err)
	}
	select {
	case <-cut:
		t.Error("the refused request cut the stream that holds the session")
	default:
	}
	testutil.Eventually(t, "the refusals in the audit", func() bool {
		want := map[string]bool{"echo per grant": false, "echo target": false, "web per grant": false}
		for _, r := range hub.records() {
			if r.Action != "connect" || r.Verdict != "refused" {
				continue
			}
			switch reason := r.Detail["reason"]; {
			case r.Target == "echo" && strings.Contains(reason, "sessions per grant on target echo (2 at once)"):
				want["echo per grant"] = true
			case r.Target == "echo" && strings.Contains(reason, "sessions on target echo (3 at once"):
				want["echo target"] = true
			case r.Target == "web" && strings.Contains(reason, "sessions per grant on target web (1 at once)"):
				want["web per grant"] = true
			}
		}
		return want["echo per grant"] && want["echo target"] && want["web per grant"]
	})
}

func TestLimitsDefaultsAndValidation(t *testing.T) {
	pg := TargetConfig{Protocol: "postgres"}
	if l := pg.limits(); l != (Limits{SessionsPerGrant: 4, Sessions: 16}) {
		t.Errorf("postgres defaults %+v", l)
	}
	pg.Limits = &Limits{Sessions: 2}
	if l := pg.limits(); l != (Limits{SessionsPerGrant: 4, Sessions: 2}) {
		t.Errorf("postgres with sessions: 2: %+v", l)
	}
	pg.Limits = &Limits{StatementTimeout: 5 * time.Second}
	if l := pg.limits(); l.StatementTimeout != 5*time.Second || l.SessionsPerGrant != 4 {
		t.Errorf("postgres with statement_timeout: 5s: %+v", l)
	}
	for limits, want := range map[string]string{
		"{sessions_per_grant: -1}":   "limits: want positive numbers of sessions",
		"{statement_timeout: 10s}":   "statement_timeout, idle_in_transaction_timeout and lock_timeout apply to postgres targets",
		"{lock_timeout: -1s}":        "limits: want positive timeouts",
		"{max_count: 10}":            "max_count, max_request_mib and max_reply_mib apply to redis targets",
		"{max_message_mib: 4}":       "max_message_mib applies to postgres targets",
		"{statement_timeout: often}": "line 22: cannot unmarshal !!str `often` into time.Duration",
	} {
		_, err := ParseConfig("gw.yaml", []byte(strings.Replace(validConfig, "read_only_upstream: true",
			"read_only_upstream: true\n    limits: "+limits, 1)))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("limits: %s: %v, want %q", limits, err, want)
		}
	}
}

// mustEcho opens a connection to the echo target and checks it echoes.
func mustEcho(t *testing.T, cl *client, addr string) net.Conn {
	t.Helper()
	conn, err := cl.dev.DialContext(t.Context(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if !echoes(conn) {
		conn.Close()
		t.Fatal("the echo target did not echo")
	}
	return conn
}

func echoes(conn net.Conn) bool {
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	defer conn.SetDeadline(time.Time{})
	if _, err := conn.Write([]byte("ping\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return err == nil && line == "ping\n"
}

// assertClosed checks that a new connection to addr is closed by the
// gateway without being served.
func assertClosed(t *testing.T, cl *client, addr, what string) {
	t.Helper()
	conn, err := cl.dev.DialContext(t.Context(), "tcp", addr)
	if err != nil {
		return // refused outright: not served either
	}
	defer conn.Close()
	if echoes(conn) {
		t.Errorf("%s was served", what)
	}
}

// getWithin GETs / on the web target, giving up after limit.
func getWithin(t *testing.T, cl *client, limit time.Duration) (int, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", cl.url(0)+"/", nil)
	resp, err := cl.http().Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}
