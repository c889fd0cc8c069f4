//go:build linux

package gateway_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/testutil"
)

// testSessionLimit opens more sessions through one grant than the target
// allows (postgres: 4 per grant by default), as someone exhausting the
// server's max_connections would, and judges by the server: it never has
// more than 4 sessions of the gateway's role, and each client turned away
// was told which limit, in PostgreSQL's protocol (a FATAL error; psql does
// not print its code, 53300, which the proxy's own test checks).
func (pw *pgWorld) testSessionLimit(t *testing.T) {
	const tries, limit = 7, 4
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sleepers := make([]*sleeper, tries)
	for i := range sleepers {
		s := &sleeper{exited: make(chan time.Time, 1)}
		s.cmd = pw.dev.Command(ctx, pw.psql, "-X", "-w", "-v", "VERBOSITY=verbose", "-h", "127.0.0.1", "-p", "15432",
			"-U", "ann", "-d", pgDatabase, "-c", "select pg_sleep(45)")
		s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
		if err := s.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { s.cmd.Wait(); s.exited <- time.Now() }()
		sleepers[i] = s
	}
	refused := 0
	testutil.EventuallyNoError(t, "every psql running upstream or refused", func() error {
		refused = 0
		for _, s := range sleepers {
			if strings.Contains(s.out.String(), "FATAL:  limit: sessions per grant on target "+pgTarget+" (4 at once)") {
				refused++
			}
		}
		running := pw.pg.one(t, "select count(*) from pg_stat_activity where usename = '"+pgLogin+"' and query = 'select pg_sleep(45)'")
		if running != strconv.Itoa(limit) || refused != tries-limit {
			var outs []string
			for _, s := range sleepers {
				outs = append(outs, strconv.Quote(s.out.String()))
			}
			return fmt.Errorf("%s running upstream, %d refused; psql said %s", running, refused, strings.Join(outs, ", "))
		}
		return nil
	})
	if n := pw.gatewaySessions(t); n != limit {
		t.Errorf("%d upstream sessions of %s, want the limit, %d", n, pgLogin, limit)
	}
	cancel() // the clients vanish; the proxy cancels their queries
	pw.noSessions(t, "after the clients were killed", 10*time.Second)
}
