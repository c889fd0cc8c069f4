package gateway

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// Limits bound how many connections a target serves at once, so that
// reading cannot exhaust production (a database's max_connections, a
// cache's maxclients).
type Limits struct {
	// SessionsPerGrant is how many connections one grant may hold at once;
	// 0 is the protocol's default.
	SessionsPerGrant int `yaml:"sessions_per_grant"`
	// Sessions is how many connections all grants of the target may hold
	// at once; 0 is the protocol's default.
	Sessions int `yaml:"sessions"`
	// StatementTimeout, IdleInTransactionTimeout and LockTimeout are a
	// postgres target's session timeouts; 0 is the proxy's default (30s,
	// 60s, 1s).
	StatementTimeout         time.Duration `yaml:"statement_timeout"`
	IdleInTransactionTimeout time.Duration `yaml:"idle_in_transaction_timeout"`
	LockTimeout              time.Duration `yaml:"lock_timeout"`
	// MaxMessageMiB is a postgres target's largest client message (a
	// Query, a Parse…); 0 is the proxy's default (16 MiB).
	MaxMessageMiB int `yaml:"max_message_mib"`
	// MaxCount, MaxRequestMiB and MaxReplyMiB are a redis target's: the
	// largest count a client may choose (SCAN COUNT, negative random
	// counts…), the largest command and the replies one session may hold;
	// 0 is the proxy's default (1000, 16 MiB, 64 MiB).
	MaxCount      int `yaml:"max_count"`
	MaxRequestMiB int `yaml:"max_request_mib"`
	MaxReplyMiB   int `yaml:"max_reply_mib"`
}

// defaultLimits per protocol: a postgres session is an upstream backend, so
// few; redis sessions share a few upstream connections (redis-benchmark
// opens 50 clients); a browser opens several connections to one site.
var defaultLimits = map[string]Limits{
	hubapi.ProtocolPostgres: {SessionsPerGrant: 4, Sessions: 16},
	hubapi.ProtocolRedis:    {SessionsPerGrant: 64, Sessions: 256}, // sessions share a few upstream connections
	hubapi.ProtocolHTTP:     {SessionsPerGrant: 32, Sessions: 128},
	hubapi.ProtocolTCP:      {SessionsPerGrant: 4, Sessions: 16},
}

// limits are the target's limits, defaults filled in.
func (tc TargetConfig) limits() Limits {
	l := defaultLimits[tc.Protocol]
	if tc.Limits != nil {
		if tc.Limits.SessionsPerGrant > 0 {
			l.SessionsPerGrant = tc.Limits.SessionsPerGrant
		}
		if tc.Limits.Sessions > 0 {
			l.Sessions = tc.Limits.Sessions
		}
		l.StatementTimeout, l.IdleInTransactionTimeout, l.LockTimeout =
			tc.Limits.StatementTimeout, tc.Limits.IdleInTransactionTimeout, tc.Limits.LockTimeout
		l.MaxCount, l.MaxRequestMiB, l.MaxReplyMiB = tc.Limits.MaxCount, tc.Limits.MaxRequestMiB, tc.Limits.MaxReplyMiB
		l.MaxMessageMiB = tc.Limits.MaxMessageMiB
	}
	return l
}

// validate checks the limits of a target of protocol.
func (l *Limits) validate(v *validator, at func(...any) []any, what, protocol string) {
	if l.SessionsPerGrant < 0 || l.Sessions < 0 {
		v.errorf(at("limits"), "%s: limits: want positive numbers of sessions, or leave them out for the protocol's defaults", what)
	}
	if l.MaxCount < 0 || l.MaxRequestMiB < 0 || l.MaxReplyMiB < 0 {
		v.errorf(at("limits"), "%s: limits: want positive max_count, max_request_mib and max_reply_mib, or leave them out for the defaults", what)
	} else if (l.MaxCount > 0 || l.MaxRequestMiB > 0 || l.MaxReplyMiB > 0) && protocol != hubapi.ProtocolRedis {
		v.errorf(at("limits"), "%s: limits: max_count, max_request_mib and max_reply_mib apply to redis targets", what)
	}
	switch {
	case l.MaxMessageMiB < 0:
		v.errorf(at("limits"), "%s: limits: want a positive max_message_mib, or leave it out for the default", what)
	case l.MaxMessageMiB > 0 && protocol != hubapi.ProtocolPostgres:
		v.errorf(at("limits"), "%s: limits: max_message_mib applies to postgres targets (redis: max_request_mib)", what)
	}
	timeouts := []time.Duration{l.StatementTimeout, l.IdleInTransactionTimeout, l.LockTimeout}
	for _, d := range timeouts {
		if d < 0 {
			v.errorf(at("limits"), "%s: limits: want positive timeouts, or leave them out for the defaults", what)
			return
		}
		if d > 0 && protocol != hubapi.ProtocolPostgres {
			v.errorf(at("limits"), "%s: limits: statement_timeout, idle_in_transaction_timeout and lock_timeout apply to postgres targets", what)
			return
		}
	}
}

// admitWait is how long a connection over a limit waits for a session to
// end before it is refused: a client that just closed one is still counted
// until the gateway sees it end, and a tool run again at once (pgbench, a
// test suite) must not be refused for that.
const admitWait = 2 * time.Second

// sessionCount counts a target's or a grant's connections.
type sessionCount struct {
	mu    sync.Mutex
	n     int           // guarded by mu
	freed chan struct{} // closed and dropped when a session ends while someone waits; guarded by mu
}

// take counts one more connection, waiting while that would pass max (0:
// no limit) until a session ends or ctx is done; it reports whether it
// counted one.
func (c *sessionCount) take(ctx context.Context, max int) bool {
	for {
		c.mu.Lock()
		if max <= 0 || c.n < max {
			c.n++
			c.mu.Unlock()
			return true
		}
		if c.freed == nil {
			c.freed = make(chan struct{})
		}
		freed := c.freed
		c.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return false
		}
	}
}

func (c *sessionCount) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n--
	if c.freed != nil {
		close(c.freed)
		c.freed = nil
	}
}

// admitSession counts a connection of grant a to t, waiting up to
// admitWait for room, or says which limit refuses it. The grant's own
// limit is taken first, so that a grant at its limit holds no room of the
// target's while it waits.
func (t *target) admitSession(ctx context.Context, a *activeGrant) (release func(), refusal string) {
	ctx, cancel := context.WithTimeout(ctx, admitWait)
	defer cancel()
	l := t.limits()
	if !a.sessions.take(ctx, l.SessionsPerGrant) {
		return nil, fmt.Sprintf("limit: sessions per grant on target %s (%d at once); close one of yours first", t.Name, l.SessionsPerGrant)
	}
	if !t.sessions.take(ctx, l.Sessions) {
		a.sessions.release()
		return nil, fmt.Sprintf("limit: sessions on target %s (%d at once, all grants together); try again when one ends", t.Name, l.Sessions)
	}
	return func() { t.sessions.release(); a.sessions.release() }, ""
}
