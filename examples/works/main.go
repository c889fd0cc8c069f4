// Command works is the sample stack's "works" service: items people publish,
// kept in store. Reading is public; writing needs a passport token.
//
//	GET  /works        all works, oldest first
//	GET  /works/{id}   one work
//	POST /works        {"title","body"} with Authorization: Bearer TOKEN
//
// Environment: STORE_URL (http://store:8080), PASSPORT_URL (http://passport:8080).
package main

import (
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/devenv-dev/devenv/examples/internal/api"
	"github.com/devenv-dev/devenv/examples/internal/svc"
)

func main() {
	svc.Main(svc.Program{Name: "works", Build: build})
}

func build(env svc.Env, log *slog.Logger) (*svc.Service, error) {
	store, passport := env.Dependency("store"), env.Dependency("passport")
	w := &works{store: api.NewStore(store.URL), passport: api.NewPassport(passport.URL), log: log, now: time.Now}
	return &svc.Service{
		Name:         "works",
		Listen:       env.Get("LISTEN", svc.DefaultListen),
		Dependencies: []svc.Dependency{store, passport},
		Routes:       w.routes(),
	}, nil
}

type works struct {
	store    *api.Store
	passport *api.Passport
	log      *slog.Logger
	now      func() time.Time
}

func (s *works) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /works", s.list)
	mux.HandleFunc("GET /works/{id}", s.get)
	mux.HandleFunc("POST /works", api.Authenticated(s.passport, "", s.create))
	return mux
}

func (s *works) list(w http.ResponseWriter, r *http.Request) {
	items, err := api.ListJSON[api.Work](r.Context(), s.store, api.WorksPrefix)
	if err != nil {
		svc.WriteError(w, http.StatusBadGateway, err.Error())
		return
	}
	slices.SortStableFunc(items, func(a, b api.Work) int { return a.Created.Compare(b.Created) })
	svc.WriteJSON(w, http.StatusOK, items)
}

func (s *works) get(w http.ResponseWriter, r *http.Request) {
	var item api.Work
	err := s.store.GetJSON(r.Context(), api.WorksPrefix+r.PathValue("id"), &item)
	switch {
	case errors.Is(err, api.ErrNotFound):
		svc.WriteError(w, http.StatusNotFound, "no work "+r.PathValue("id"))
	case err != nil:
		svc.WriteError(w, http.StatusBadGateway, err.Error())
	default:
		svc.WriteJSON(w, http.StatusOK, item)
	}
}

func (s *works) create(w http.ResponseWriter, r *http.Request, who api.Claims) {
	var in struct {
		Title string `json:"title"`
		Body  string `json:"body"`
	}
	if err := svc.ReadJSON(r, &in); err != nil || strings.TrimSpace(in.Title) == "" {
		svc.WriteError(w, http.StatusBadRequest, "want {\"title\",\"body\"} with a non-empty title")
		return
	}
	now := s.now()
	item := api.Work{ID: api.NewID(now), Title: in.Title, Body: in.Body, Author: who.Name, Created: now.UTC()}
	if err := s.store.PutJSON(r.Context(), api.WorksPrefix+item.ID, item); err != nil {
		svc.WriteError(w, http.StatusBadGateway, err.Error())
		return
	}
	s.log.Info("work created", "id", item.ID, "author", who.Name)
	svc.WriteJSON(w, http.StatusCreated, item)
}
