package env_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/env"
)

func TestImages(t *testing.T) {
	ctx := context.Background()
	p := parse(t, "name: im\nservices:\n  api: {image: \"127.0.0.1:5000/team/api:2\"}\n  db: {image: postgres}\n")
	f := fakeWith(t, p, nil)
	f.AddImage("postgres:latest") // the same image under a second name
	if _, err := env.Up(ctx, f, p, env.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := env.Images(ctx, f, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, u := range got {
		if !strings.HasPrefix(u.ID, "sha256:") || u.Size <= 0 {
			t.Errorf("%s: id %q size %d", u.Container, u.ID, u.Size)
		}
		rows = append(rows, u.Service+" "+u.Container+" "+u.Repository+" "+u.Tag)
	}
	want := []string{"api im-api 127.0.0.1:5000/team/api 2", "db im-db postgres latest"}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("Images (-want +got):\n%s", diff)
	}
	only, err := env.Images(ctx, f, p, []string{"db"})
	if err != nil || len(only) != 1 || only[0].Service != "db" {
		t.Errorf("Images(db) = %+v, %v", only, err)
	}
}

// Projects lists the projects by label, with their containers' states,
// stopped ones only with all.
func TestProjects(t *testing.T) {
	ctx := context.Background()
	one := parse(t, "name: one\nservices:\n  api: {image: api:1}\n  db: {image: db:1}\n")
	f := fakeWith(t, one, nil)
	two := parse(t, "name: two\nservices:\n  web: {image: api:1}\n")
	if _, err := env.Up(ctx, f, one, env.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Up(ctx, f, two, env.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := env.Stop(ctx, f, one, env.LifecycleOptions{Services: []string{"db"}}); err != nil {
		t.Fatal(err)
	}
	if err := env.Stop(ctx, f, two, env.LifecycleOptions{}); err != nil {
		t.Fatal(err)
	}
	running, err := env.Projects(ctx, f, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []env.ProjectSummary{{Name: "one", States: map[string]int{"running": 1, "exited": 1}, Services: 2}}
	if diff := cmp.Diff(want, running); diff != "" {
		t.Errorf("Projects (-want +got):\n%s", diff)
	}
	all, err := env.Projects(ctx, f, true)
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, env.ProjectSummary{Name: "two", States: map[string]int{"exited": 1}, Services: 1})
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("Projects(all) (-want +got):\n%s", diff)
	}
}
