package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/devenv-dev/devenv/examples/internal/api"
	"github.com/devenv-dev/devenv/examples/internal/svc"
)

// migrateWait bounds how long migrate waits for store to answer, so it also
// works when started without a depends_on healthcheck.
const migrateWait = 30 * time.Second

// seedTime is the creation time of seeded records, fixed so that reruns
// overwrite rather than duplicate them.
var seedTime = time.Date(2024, 1, 2, 9, 0, 0, 0, time.UTC)

// migrate is the one-shot seeding job: it writes the sample users, works
// and an announcement into the store at STORE_URL and exits 0. Rerunning
// it is harmless.
func migrate(ctx context.Context, _ []string, env svc.Env, log *slog.Logger) error {
	dep := env.Dependency("store")
	if err := waitFor(ctx, dep, migrateWait); err != nil {
		return err
	}
	store := api.NewStore(dep.URL)
	users := []api.User{
		api.NewUser("admin", api.RoleAdmin, env.Get("SEED_ADMIN_PASSWORD", "admin")),
		api.NewUser("alice", api.RoleMember, env.Get("SEED_ALICE_PASSWORD", "alice")),
	}
	for _, u := range users {
		if err := store.PutJSON(ctx, api.UsersPrefix+u.Name, u); err != nil {
			return fmt.Errorf("seeding user %s: %w", u.Name, err)
		}
	}
	for i, title := range []string{"Quarterly report", "Onboarding guide", "Release checklist"} {
		w := api.Work{ID: fmt.Sprintf("seed-%d", i+1), Title: title, Author: "alice",
			Created: seedTime.Add(time.Duration(i) * time.Hour)}
		if err := store.PutJSON(ctx, api.WorksPrefix+w.ID, w); err != nil {
			return fmt.Errorf("seeding work %s: %w", w.ID, err)
		}
	}
	m := api.Message{ID: "seed-1", From: "admin", To: api.Everyone,
		Text: "Welcome to the sample stack!", Created: seedTime}
	if err := store.PutJSON(ctx, api.MessagesPrefix+m.ID, m); err != nil {
		return fmt.Errorf("seeding message: %w", err)
	}
	if err := store.Put(ctx, "meta/schema", []byte("1")); err != nil {
		return fmt.Errorf("recording schema version: %w", err)
	}
	log.Info("migrated", "store", dep.URL, "users", len(users), "works", 3, "messages", 1)
	return nil
}

// waitFor probes dep until it is healthy or within passes.
func waitFor(ctx context.Context, dep svc.Dependency, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	for {
		err := svc.CheckDependencies(ctx, []svc.Dependency{dep})
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", dep.Name, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
