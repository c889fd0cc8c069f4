package main

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/devenv-dev/devenv/examples/internal/api"
	"github.com/devenv-dev/devenv/examples/internal/kv"
	"github.com/devenv-dev/devenv/examples/internal/svc"
)

func startStore(t *testing.T, dir string) *api.Store {
	t.Helper()
	data, err := kv.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(svc.Handler(&svc.Service{Name: "store", Routes: data.Routes()}, log))
	t.Cleanup(srv.Close)
	return api.NewStore(srv.URL)
}

func TestMigrateSeedsAndSnapshotPersists(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := startStore(t, dir)
	env := svc.Env(func(k string) string {
		return map[string]string{"STORE_URL": s.BaseURL}[k]
	})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for range 2 { // reruns must not duplicate anything
		if err := migrate(ctx, nil, env, log); err != nil {
			t.Fatal(err)
		}
	}
	reopened := startStore(t, dir)
	works, err := api.ListJSON[api.Work](ctx, reopened, api.WorksPrefix)
	if err != nil || len(works) != 3 {
		t.Fatalf("works after restart = %d, %v; want 3", len(works), err)
	}
	var admin api.User
	if err := reopened.GetJSON(ctx, api.UsersPrefix+"admin", &admin); err != nil {
		t.Fatal(err)
	}
	if admin.Role != api.RoleAdmin || !admin.CheckPassword("admin") || admin.CheckPassword("wrong") {
		t.Errorf("seeded admin = %+v; want role admin with password admin", admin)
	}
}
