package gateway

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/devenv-dev/devenv/access/proxy/postgres"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// startInspection bounds the login check at start: a production database
// that does not answer must not keep the gateway from serving its other
// targets (each session checks the login again anyway).
const startInspection = 10 * time.Second

// LoginCheck is what the gateway found of one postgres target's login.
type LoginCheck struct {
	Target string
	Report postgres.LoginReport
	// Accepted: the target says login_can_write: accept.
	Accepted bool
	// Err: the login could not be inspected (the upstream did not answer,
	// the credentials were refused).
	Err error
}

// Refused reports that the gateway will not serve the target with this
// login.
func (c LoginCheck) Refused() bool { return c.Err == nil && !c.Report.ReadOnly() && !c.Accepted }

// InspectLogins logs in to every postgres target's upstream with its
// credentials and asks the server what the login may do beyond reading.
func InspectLogins(ctx context.Context, c *Config) []LoginCheck {
	var out []LoginCheck
	for _, tc := range c.Targets {
		if tc.Protocol != hubapi.ProtocolPostgres {
			continue
		}
		lc := LoginCheck{Target: tc.Name, Accepted: tc.LoginCanWrite == "accept"}
		p, err := tc.postgresProxy(slog.New(slog.DiscardHandler))
		if err == nil {
			lc.Report, err = p.InspectLogin(ctx)
			p.Close()
		}
		lc.Err = err
		out = append(out, lc)
	}
	return out
}

// checkLoginAtStart refuses to start with a postgres target whose login can
// write, unless the target accepts that. A login that cannot be inspected
// now is served: every session inspects it before it relays anything.
func checkLoginAtStart(p *postgres.Proxy, tc TargetConfig, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), startInspection)
	defer cancel()
	r, err := p.InspectLogin(ctx)
	switch {
	case err != nil:
		log.Warn("cannot inspect the upstream login now; each session will", "err", err)
		return nil
	case r.ReadOnly():
		return nil
	case tc.LoginCanWrite != "accept":
		return &postgres.LoginError{Report: r}
	}
	log.Warn("serving with an upstream login that can write (login_can_write: accept)",
		"user", r.User, "writes", strings.Join(r.Writes, "; "))
	return nil
}

// postgresProxy is the target's read-only proxy, logging in upstream with
// the target's credentials.
func (tc TargetConfig) postgresProxy(log *slog.Logger) (*postgres.Proxy, error) {
	user, password, err := tc.login()
	if err != nil {
		return nil, err
	}
	tlsConfig, err := tc.TLS.config(tc.Upstream)
	if err != nil {
		return nil, err
	}
	l := tc.limits()
	return postgres.New(postgres.Options{Upstream: tc.Upstream, User: user, Password: password,
		Database: tc.Database, TLS: tlsConfig, Logger: log, LoginCanWrite: tc.LoginCanWrite == "accept",
		StatementTimeout: l.StatementTimeout, IdleInTransactionTimeout: l.IdleInTransactionTimeout, LockTimeout: l.LockTimeout,
		MaxMessageBytes: l.MaxMessageMiB << 20, AllowFunctions: tc.AllowFunctions})
}
