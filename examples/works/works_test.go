package main

import (
	"net/http"
	"testing"

	"github.com/devenv-dev/devenv/examples/internal/api"
	"github.com/devenv-dev/devenv/examples/internal/stacktest"
	"github.com/devenv-dev/devenv/examples/internal/svc"
)

func TestCreateListGet(t *testing.T) {
	ctx := t.Context()
	env := stacktest.Env(map[string]string{
		"STORE_URL":    stacktest.Store(t),
		"PASSPORT_URL": stacktest.Passport(t, map[string]api.Claims{"tok": {Name: "alice", Role: api.RoleMember}}),
	})
	s, err := build(env, stacktest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	c := svc.Client{BaseURL: stacktest.Serve(t, s)}
	if err := c.Do(ctx, http.MethodGet, "/healthz", "", nil, nil); err != nil {
		t.Fatalf("healthz with store and passport up: %v", err)
	}

	in := map[string]string{"title": "Draft"}
	if err := c.Do(ctx, http.MethodPost, "/works", "", in, nil); !svc.HasStatus(err, http.StatusUnauthorized) {
		t.Fatalf("create without token = %v, want 401", err)
	}
	var created api.Work
	if err := c.Do(ctx, http.MethodPost, "/works", "tok", in, &created); err != nil {
		t.Fatal(err)
	}
	if created.Author != "alice" || created.Title != "Draft" || created.ID == "" {
		t.Fatalf("created = %+v", created)
	}
	var list []api.Work
	if err := c.Do(ctx, http.MethodGet, "/works", "", nil, &list); err != nil || len(list) != 1 {
		t.Fatalf("list = %v, %v; want the one work", list, err)
	}
	var got api.Work
	if err := c.Do(ctx, http.MethodGet, "/works/"+created.ID, "", nil, &got); err != nil || got.ID != created.ID {
		t.Fatalf("get = %+v, %v", got, err)
	}
	if err := c.Do(ctx, http.MethodGet, "/works/missing", "", nil, nil); !svc.HasStatus(err, http.StatusNotFound) {
		t.Fatalf("get missing = %v, want 404", err)
	}
}

func TestHealthzFollowsDependencies(t *testing.T) {
	env := stacktest.Env(map[string]string{"STORE_URL": stacktest.Store(t), "PASSPORT_URL": "http://127.0.0.1:1"})
	s, err := build(env, stacktest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	c := svc.Client{BaseURL: stacktest.Serve(t, s)}
	if err := c.Do(t.Context(), http.MethodGet, "/healthz", "", nil, nil); !svc.HasStatus(err, http.StatusServiceUnavailable) {
		t.Fatalf("healthz with passport down = %v, want 503", err)
	}
}
