// Command passport is the sample stack's auth service. It keeps users in
// store and issues signed, stateless bearer tokens that the other services
// check with GET /validate.
//
//	POST /users     {"name","password"}  create a member
//	POST /login     {"name","password"}  → {"token","expires"}
//	GET  /validate  Authorization: Bearer TOKEN → {"name","role"}
//
// Environment: STORE_URL (http://store:8080), PASSPORT_SECRET, TOKEN_TTL (12h).
package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/devenv-dev/devenv/examples/internal/api"
	"github.com/devenv-dev/devenv/examples/internal/svc"
)

func main() {
	svc.Main(svc.Program{Name: "passport", Build: build})
}

// devSecret signs tokens when PASSPORT_SECRET is unset; fine for a local stack only.
const devSecret = "sample-stack-dev-secret"

func build(env svc.Env, log *slog.Logger) (*svc.Service, error) {
	ttl, err := time.ParseDuration(env.Get("TOKEN_TTL", "12h"))
	if err != nil {
		return nil, fmt.Errorf("TOKEN_TTL: %w", err)
	}
	store := env.Dependency("store")
	p := &passport{
		store:  api.NewStore(store.URL),
		tokens: signer{secret: []byte(env.Get("PASSPORT_SECRET", devSecret)), ttl: ttl, now: time.Now},
		log:    log,
	}
	return &svc.Service{
		Name:         "passport",
		Listen:       env.Get("LISTEN", svc.DefaultListen),
		Dependencies: []svc.Dependency{store},
		Routes:       p.routes(),
	}, nil
}

type passport struct {
	store  *api.Store
	tokens signer
	log    *slog.Logger
}

type credentials struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

func (p *passport) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /users", p.createUser)
	mux.HandleFunc("POST /login", p.login)
	mux.HandleFunc("GET /validate", p.validate)
	return mux
}

func (p *passport) createUser(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if err := svc.ReadJSON(r, &c); err != nil || c.Name == "" || c.Password == "" {
		svc.WriteError(w, http.StatusBadRequest, "want {\"name\",\"password\"}, both non-empty")
		return
	}
	_, err := p.store.Get(r.Context(), api.UsersPrefix+c.Name)
	switch {
	case err == nil:
		svc.WriteError(w, http.StatusConflict, "user "+c.Name+" exists")
		return
	case !errors.Is(err, api.ErrNotFound):
		svc.WriteError(w, http.StatusBadGateway, err.Error())
		return
	}
	u := api.NewUser(c.Name, api.RoleMember, c.Password)
	if err := p.store.PutJSON(r.Context(), api.UsersPrefix+u.Name, u); err != nil {
		svc.WriteError(w, http.StatusBadGateway, err.Error())
		return
	}
	p.log.Info("user created", "name", u.Name)
	svc.WriteJSON(w, http.StatusCreated, api.Claims{Name: u.Name, Role: u.Role})
}

func (p *passport) login(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if err := svc.ReadJSON(r, &c); err != nil {
		svc.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	var u api.User
	err := p.store.GetJSON(r.Context(), api.UsersPrefix+c.Name, &u)
	switch {
	case errors.Is(err, api.ErrNotFound):
	case err != nil:
		svc.WriteError(w, http.StatusBadGateway, err.Error())
		return
	}
	if err != nil || !u.CheckPassword(c.Password) {
		svc.WriteError(w, http.StatusUnauthorized, "wrong name or password")
		return
	}
	token, expires := p.tokens.issue(api.Claims{Name: u.Name, Role: u.Role})
	p.log.Info("login", "name", u.Name)
	svc.WriteJSON(w, http.StatusOK, map[string]any{"token": token, "expires": expires.UTC()})
}

func (p *passport) validate(w http.ResponseWriter, r *http.Request) {
	c, err := p.tokens.validate(svc.BearerToken(r))
	if err != nil {
		svc.WriteError(w, http.StatusUnauthorized, err.Error())
		return
	}
	svc.WriteJSON(w, http.StatusOK, c)
}
