package main

import (
	"net/http"
	"testing"

	"github.com/devenv-dev/devenv/examples/internal/api"
	"github.com/devenv-dev/devenv/examples/internal/stacktest"
	"github.com/devenv-dev/devenv/examples/internal/svc"
)

func TestSendAndRead(t *testing.T) {
	ctx := t.Context()
	env := stacktest.Env(map[string]string{
		"STORE_URL": stacktest.Store(t),
		"PASSPORT_URL": stacktest.Passport(t, map[string]api.Claims{
			"boss": {Name: "admin", Role: api.RoleAdmin}, "alice": {Name: "alice", Role: api.RoleMember},
			"bob": {Name: "bob", Role: api.RoleMember}}),
	})
	s, err := build(env, stacktest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	c := svc.Client{BaseURL: stacktest.Serve(t, s)}
	send := func(token, to, text string) error {
		return c.Do(ctx, http.MethodPost, "/messages", token, map[string]string{"to": to, "text": text}, nil)
	}
	if err := send("alice", api.Everyone, "hi all"); !svc.HasStatus(err, http.StatusForbidden) {
		t.Fatalf("member announcing = %v, want 403", err)
	}
	for _, m := range [][3]string{{"boss", api.Everyone, "first"}, {"alice", "bob", "psst"}, {"boss", api.Everyone, "second"}} {
		if err := send(m[0], m[1], m[2]); err != nil {
			t.Fatal(err)
		}
	}
	var ann []api.Message
	if err := c.Do(ctx, http.MethodGet, "/announcements", "", nil, &ann); err != nil {
		t.Fatal(err)
	}
	if len(ann) != 2 || ann[0].Text != "second" {
		t.Fatalf("announcements = %+v; want second, first", ann)
	}
	var inbox []api.Message
	if err := c.Do(ctx, http.MethodGet, "/messages", "bob", nil, &inbox); err != nil || len(inbox) != 3 {
		t.Fatalf("bob's inbox = %+v, %v; want 3 messages", inbox, err)
	}
	if err := c.Do(ctx, http.MethodGet, "/messages", "alice", nil, &inbox); err != nil || len(inbox) != 2 {
		t.Fatalf("alice's inbox = %+v, %v; want the 2 announcements", inbox, err)
	}
}
