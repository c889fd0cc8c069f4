// Command message is the sample stack's notification service. Messages live
// in store; announcements go to everyone and are public.
//
//	GET  /announcements  messages to everyone, newest first
//	GET  /messages       the caller's messages and announcements (token)
//	POST /messages       {"to","text"} (token; to "all" needs role admin)
//
// Environment: STORE_URL (http://store:8080), PASSPORT_URL (http://passport:8080).
package main

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/devenv-dev/devenv/examples/internal/api"
	"github.com/devenv-dev/devenv/examples/internal/svc"
)

func main() {
	svc.Main(svc.Program{Name: "message", Build: build})
}

func build(env svc.Env, log *slog.Logger) (*svc.Service, error) {
	store, passport := env.Dependency("store"), env.Dependency("passport")
	m := &messages{store: api.NewStore(store.URL), passport: api.NewPassport(passport.URL), log: log, now: time.Now}
	return &svc.Service{
		Name:         "message",
		Listen:       env.Get("LISTEN", svc.DefaultListen),
		Dependencies: []svc.Dependency{store, passport},
		Routes:       m.routes(),
	}, nil
}

type messages struct {
	store    *api.Store
	passport *api.Passport
	log      *slog.Logger
	now      func() time.Time
}

func (s *messages) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /announcements", s.announcements)
	mux.HandleFunc("GET /messages", api.Authenticated(s.passport, "", s.inbox))
	mux.HandleFunc("POST /messages", api.Authenticated(s.passport, "", s.send))
	return mux
}

// to returns the messages addressed to any of names, newest first.
func (s *messages) to(r *http.Request, names ...string) ([]api.Message, error) {
	all, err := api.ListJSON[api.Message](r.Context(), s.store, api.MessagesPrefix)
	if err != nil {
		return nil, err
	}
	out := []api.Message{}
	for _, m := range all {
		if slices.Contains(names, m.To) {
			out = append(out, m)
		}
	}
	slices.SortStableFunc(out, func(a, b api.Message) int { return b.Created.Compare(a.Created) })
	return out, nil
}

func (s *messages) announcements(w http.ResponseWriter, r *http.Request) {
	out, err := s.to(r, api.Everyone)
	if err != nil {
		svc.WriteError(w, http.StatusBadGateway, err.Error())
		return
	}
	svc.WriteJSON(w, http.StatusOK, out)
}

func (s *messages) inbox(w http.ResponseWriter, r *http.Request, who api.Claims) {
	out, err := s.to(r, who.Name, api.Everyone)
	if err != nil {
		svc.WriteError(w, http.StatusBadGateway, err.Error())
		return
	}
	svc.WriteJSON(w, http.StatusOK, out)
}

func (s *messages) send(w http.ResponseWriter, r *http.Request, who api.Claims) {
	var in struct {
		To   string `json:"to"`
		Text string `json:"text"`
	}
	if err := svc.ReadJSON(r, &in); err != nil || in.To == "" || strings.TrimSpace(in.Text) == "" {
		svc.WriteError(w, http.StatusBadRequest, "want {\"to\",\"text\"}, both non-empty")
		return
	}
	if in.To == api.Everyone && who.Role != api.RoleAdmin {
		svc.WriteError(w, http.StatusForbidden, "only admins announce to everyone")
		return
	}
	now := s.now()
	m := api.Message{ID: api.NewID(now), From: who.Name, To: in.To, Text: in.Text, Created: now.UTC()}
	if err := s.store.PutJSON(r.Context(), api.MessagesPrefix+m.ID, m); err != nil {
		svc.WriteError(w, http.StatusBadGateway, err.Error())
		return
	}
	s.log.Info("message sent", "id", m.ID, "from", who.Name, "to", m.To)
	svc.WriteJSON(w, http.StatusCreated, m)
}
