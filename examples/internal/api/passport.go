package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/devenv-dev/devenv/examples/internal/svc"
)

// ErrUnauthorized is returned when passport rejects a token or login.
var ErrUnauthorized = errors.New("unauthorized")

// Passport is a client of the passport service.
type Passport struct{ svc.Client }

// NewPassport returns a client of the passport at baseURL.
func NewPassport(baseURL string) *Passport { return &Passport{svc.Client{BaseURL: baseURL}} }

// Validate returns whose token this is, or ErrUnauthorized.
func (p *Passport) Validate(ctx context.Context, token string) (Claims, error) {
	var c Claims
	err := p.Do(ctx, http.MethodGet, "/validate", token, nil, &c)
	if svc.HasStatus(err, http.StatusUnauthorized) {
		return Claims{}, ErrUnauthorized
	}
	return c, err
}

// Login exchanges a name and password for a token.
func (p *Passport) Login(ctx context.Context, name, password string) (string, error) {
	var out struct {
		Token string `json:"token"`
	}
	err := p.Do(ctx, http.MethodPost, "/login", "", map[string]string{"name": name, "password": password}, &out)
	if svc.HasStatus(err, http.StatusUnauthorized) {
		return "", ErrUnauthorized
	}
	return out.Token, err
}

// Authenticated wraps next so it only runs for requests with a bearer token
// passport accepts (and, if role is not "", whose user has that role).
func Authenticated(p *Passport, role string, next func(http.ResponseWriter, *http.Request, Claims)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token := svc.BearerToken(r)
		if token == "" {
			svc.WriteError(w, http.StatusUnauthorized, "missing bearer token; log in at passport /login")
			return
		}
		c, err := p.Validate(r.Context(), token)
		switch {
		case errors.Is(err, ErrUnauthorized):
			svc.WriteError(w, http.StatusUnauthorized, "invalid or expired token")
		case err != nil:
			svc.WriteError(w, http.StatusBadGateway, "checking token with passport: "+err.Error())
		case role != "" && c.Role != role:
			svc.WriteError(w, http.StatusForbidden, "needs role "+role)
		default:
			next(w, r, c)
		}
	}
}
