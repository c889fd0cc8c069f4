package gateway

import (
	"fmt"
	"sync/atomic"
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
}

// defaultLimits per protocol: a database session is an upstream backend, so
// few; a browser opens several connections to one site.
var defaultLimits = map[string]Limits{
	hubapi.ProtocolPostgres: {SessionsPerGrant: 4, Sessions: 16},
	hubapi.ProtocolRedis:    {SessionsPerGrant: 8, Sessions: 32},
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
	}
	return l
}

// validate checks the limits of a target of protocol.
func (l *Limits) validate(v *validator, at func(...any) []any, what, protocol string) {
	if l.SessionsPerGrant < 0 || l.Sessions < 0 {
		v.errorf(at("limits"), "%s: limits: want positive numbers of sessions, or leave them out for the protocol's defaults", what)
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

// sessionCount counts a target's or a grant's connections.
type sessionCount struct{ n atomic.Int32 }

// take counts one more connection unless that would pass max (0: no
// limit); it reports whether it did.
func (c *sessionCount) take(max int) bool {
	if c.n.Add(1) > int32(max) && max > 0 {
		c.n.Add(-1)
		return false
	}
	return true
}

func (c *sessionCount) release() { c.n.Add(-1) }

// admitSession counts a connection of grant a to t, or says which limit
// refuses it.
func (t *target) admitSession(a *activeGrant) (release func(), refusal string) {
	l := t.limits()
	if !t.sessions.take(l.Sessions) {
		return nil, fmt.Sprintf("limit: sessions on target %s (%d at once, all grants together); try again when one ends", t.Name, l.Sessions)
	}
	if !a.sessions.take(l.SessionsPerGrant) {
		t.sessions.release()
		return nil, fmt.Sprintf("limit: sessions per grant on target %s (%d at once); close one of yours first", t.Name, l.SessionsPerGrant)
	}
	return func() { a.sessions.release(); t.sessions.release() }, ""
}
