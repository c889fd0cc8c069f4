package main

import (
	"net/http"
	"testing"

	"github.com/devenv-dev/devenv/examples/internal/api"
	"github.com/devenv-dev/devenv/examples/internal/stacktest"
	"github.com/devenv-dev/devenv/examples/internal/svc"
	"github.com/google/go-cmp/cmp"
)

func TestDashboard(t *testing.T) {
	var works []api.Work
	for _, id := range []string{"1", "2", "3", "4", "5", "6", "7"} {
		works = append(works, api.Work{ID: id})
	}
	env := stacktest.Env(map[string]string{
		"WORKS_URL":   stacktest.Fixed(t, map[string]any{"/works": works}),
		"MESSAGE_URL": stacktest.Fixed(t, map[string]any{"/announcements": []api.Message{{ID: "m"}}}),
		"PASSPORT_URL": stacktest.Passport(t, map[string]api.Claims{
			"root": {Name: "admin", Role: api.RoleAdmin}, "alice": {Name: "alice", Role: api.RoleMember}}),
	})
	s, err := build(env, stacktest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	c := svc.Client{BaseURL: stacktest.Serve(t, s)}
	if err := c.Do(t.Context(), http.MethodGet, "/dashboard", "alice", nil, nil); !svc.HasStatus(err, http.StatusForbidden) {
		t.Fatalf("member dashboard = %v, want 403", err)
	}
	var got dashboard
	if err := c.Do(t.Context(), http.MethodGet, "/dashboard", "root", nil, &got); err != nil {
		t.Fatal(err)
	}
	want := dashboard{Viewer: "admin", WorksTotal: 7, LatestWorks: works[2:], Announcements: []api.Message{{ID: "m"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dashboard (-want +got):\n%s", diff)
	}
}
