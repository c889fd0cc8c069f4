//go:build linux

package gateway_test

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// gatewaySessions counts the upstream sessions of the gateway's role, as
// the superuser sees them.
func (pw *pgWorld) gatewaySessions(t *testing.T) int {
	n, _ := strconv.Atoi(pw.pg.one(t, "select count(*) from pg_stat_activity where usename = '"+pgLogin+"'"))
	return n
}

// noSessions waits up to limit (scaled) for no upstream session of the
// gateway's role; what says when, for the message. The limit is what the
// tests check: how soon after a deadline production is let go.
func (pw *pgWorld) noSessions(t *testing.T, what string, limit time.Duration) {
	t.Helper()
	testutil.EventuallyNoError(t, "no session of "+pgLogin+" "+what, func() error {
		if n := pw.gatewaySessions(t); n != 0 {
			return fmt.Errorf("%d sessions upstream: %v", n,
				pw.pg.rows(t, "select pid, state, query from pg_stat_activity where usename = '"+pgLogin+"'"))
		}
		return nil
	}, testutil.Within(limit))
}

// sleeper is a psql on the dev host waiting on pg_sleep(600) through a
// connect's local port.
type sleeper struct {
	cmd    *exec.Cmd
	out    lockedBuffer
	exited chan time.Time
}

// startSleeper starts the psql and waits until the server runs its query
// in a session of the gateway's role.
func (pw *pgWorld) startSleeper(t *testing.T, port int) *sleeper {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	s := &sleeper{exited: make(chan time.Time, 1)}
	s.cmd = pw.dev.Command(ctx, pw.psql, "-X", "-w", "-v", "VERBOSITY=verbose", "-h", "127.0.0.1", "-p", strconv.Itoa(port),
		"-U", "ann", "-d", pgDatabase, "-c", "select pg_sleep(600)")
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.cmd.Wait(); s.exited <- time.Now() }()
	testutil.EventuallyNoError(t, "pg_sleep running upstream", func() error {
		q := "select count(*) from pg_stat_activity where usename = '" + pgLogin + "' and state = 'active' and query = 'select pg_sleep(600)'"
		if n := pw.pg.one(t, q); n != "1" {
			return fmt.Errorf("%s sessions running it", n)
		}
		return nil
	})
	return s
}

// testDeadline has psql wait on pg_sleep(600) when the grant ends: psql
// gets an error at once, and the upstream session is gone, which only a
// CancelRequest can do to a backend inside pg_sleep (closing its socket
// does not), and the audit trail has the statement ended by 57014
// (query_canceled).
func (pw *pgWorld) testDeadline(t *testing.T) {
	pw.noSessions(t, "left from the earlier tests", 5*time.Second)
	r := pw.grantOf(pgTarget, 6*time.Second)
	c := pw.connect(r.ID, 15433)
	defer c.kill()
	s := pw.startSleeper(t, 15433)
	if left := time.Until(r.NotAfter); left < 500*time.Millisecond {
		t.Fatalf("the query started too close to the deadline (%v left) to prove anything", left)
	}
	var at time.Time
	select {
	case at = <-s.exited:
	case <-time.After(time.Until(r.NotAfter) + 5*time.Second):
		t.Fatalf("psql still waits on pg_sleep 5s after the deadline:\n%s", s.out.String())
	}
	late, code := at.Sub(r.NotAfter), s.cmd.ProcessState.ExitCode()
	t.Logf("psql ended %v after the deadline (exit %d): %s", late.Round(time.Millisecond), code, strings.TrimSpace(s.out.String()))
	if late < -100*time.Millisecond || late > 2*time.Second || code == 0 {
		t.Errorf("psql ended %v after the deadline with exit %d, want an error within [0, 2s)", late, code)
	}
	pw.noSessions(t, "after the deadline", 3*time.Second)
	t.Logf("the upstream session was gone %v after the deadline", time.Since(r.NotAfter).Round(time.Millisecond))
	pw.operations(t, pgTarget, func(ops []hubapi.AuditRecord) error {
		return missing(ops, []opWant{{"pg_sleep ended by the cancellation", 1, func(op hubapi.AuditRecord) bool {
			return op.RequestID == r.ID && statement("allowed", "select pg_sleep($1)", map[string]string{"outcome": "57014"})(op)
		}}})
	})
	if code := c.exitCode(5 * time.Second); code != 7 {
		t.Errorf("connect after the deadline: exit %d, want 7\n%s", code, c.stderr.String())
	}
}

// testClientGone kills psql (SIGKILL: no CancelRequest, no Terminate)
// while its pg_sleep(600) runs, seconds before the grant ends. Whatever the
// gateway does when the client goes, no upstream session of its role may
// outlive the grant: a developer must not be able to leave a query running
// in production by closing the laptop.
func (pw *pgWorld) testClientGone(t *testing.T) {
	pw.noSessions(t, "left from the earlier tests", 5*time.Second)
	r := pw.grantOf(pgTarget, 5*time.Second)
	c := pw.connect(r.ID, 15434)
	defer c.kill()
	s := pw.startSleeper(t, 15434)
	s.cmd.Process.Signal(syscall.SIGKILL) // ip netns exec has become psql
	<-s.exited
	if time.Until(r.NotAfter) < 500*time.Millisecond {
		t.Fatalf("psql was killed too close to the deadline to tell the client's end from the grant's")
	}
	time.Sleep(300 * time.Millisecond) // not an event: only for the log line below, which the test does not judge
	t.Logf("300ms after psql was killed: %d sessions of %s upstream", pw.gatewaySessions(t), pgLogin)
	time.Sleep(time.Until(r.NotAfter)) // the real gateway process ends the grant on its own clock: the deadline is the behaviour
	pw.noSessions(t, "after the deadline of a grant whose client vanished mid-query", 3*time.Second)
}
