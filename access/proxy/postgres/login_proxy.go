//go:build cgo

package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// InspectLogin logs in upstream as a session does and reports what the
// login may do beyond reading.
func (p *Proxy) InspectLogin(ctx context.Context) (LoginReport, error) {
	pgc, _, err := p.connect(ctx, nil)
	if err != nil {
		return LoginReport{}, fmt.Errorf("logging in upstream at %s: %w", p.opts.Upstream, err)
	}
	defer pgc.Close(context.WithoutCancel(ctx))
	return InspectLogin(ctx, pgc)
}

// checkLogin refuses a session whose upstream login can write, unless the
// target accepts that; then the session's log says so. It runs for every
// session: a grant given to the login after the gateway started counts.
func (p *Proxy) checkLogin(ctx context.Context, pgc *pgconn.PgConn) error {
	r, err := InspectLogin(ctx, pgc)
	switch {
	case err != nil:
		return err
	case r.ReadOnly():
		return nil
	case !p.opts.LoginCanWrite:
		return &LoginError{Report: r}
	}
	p.log.Warn("postgres proxy: serving with an upstream login that can write (login_can_write: accept)",
		"upstream", p.opts.Upstream, "user", r.User, "writes", strings.Join(r.Writes, "; "))
	return nil
}
