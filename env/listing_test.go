package env_test

import (
	"context"
	"slices"
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
	files := []string{one.File} // parse's projects come from one envs.yaml
	want := []env.ProjectSummary{{Name: "one", States: map[string]int{"running": 1, "exited": 1}, Services: 2, ConfigFiles: files}}
	if diff := cmp.Diff(want, running); diff != "" {
		t.Errorf("Projects (-want +got):\n%s", diff)
	}
	all, err := env.Projects(ctx, f, true)
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, env.ProjectSummary{Name: "two", States: map[string]int{"exited": 1}, Services: 1, ConfigFiles: []string{two.File}})
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("Projects(all) (-want +got):\n%s", diff)
	}
}

func TestFilterProjects(t *testing.T) {
	rows := []env.ProjectSummary{{Name: "shop"}, {Name: "shop-api"}, {Name: "blog"}}
	for _, tc := range []struct {
		filters []string
		want    []string
		err     string
	}{
		{nil, []string{"shop", "shop-api", "blog"}, ""},
		{[]string{"name=shop"}, []string{"shop", "shop-api"}, ""},
		{[]string{"name=shop", "name=api"}, []string{"shop-api"}, ""},
		{[]string{"name=none"}, nil, ""},
		{[]string{"status=running"}, nil, "name=TEXT"},
		{[]string{"shop"}, nil, "name=TEXT"},
	} {
		got, err := env.FilterProjects(rows, tc.filters)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: error %v, want one saying %q", tc.filters, err, tc.err)
			}
			continue
		}
		var names []string
		for _, r := range got {
			names = append(names, r.Name)
		}
		if err != nil || !slices.Equal(names, tc.want) {
			t.Errorf("%v: %v, %v; want %v", tc.filters, names, err, tc.want)
		}
	}
}

// The files' label is outside the config hash: the same project from
// files elsewhere keeps its containers, and ls shows the files.
func TestConfigFilesLabelKeepsContainers(t *testing.T) {
	ctx := context.Background()
	p := parse(t, "name: cf\nservices:\n  api: {image: api:1}\n")
	p.Files = []string{"/a/compose.yaml", "/a/compose.override.yaml"}
	f := fakeWith(t, p, nil)
	if _, err := env.Up(ctx, f, p, env.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	before, err := f.Observe(ctx, "cf")
	if err != nil || len(before.Containers) != 1 {
		t.Fatalf("observe: %+v, %v", before, err)
	}
	rows, err := env.Projects(ctx, f, true)
	if err != nil || len(rows) != 1 || !slices.Equal(rows[0].ConfigFiles, p.Files) {
		t.Errorf("ls: %+v, %v; want the files %v", rows, err, p.Files)
	}
	p.Files = []string{"/b/compose.yaml"}
	if _, err := env.Up(ctx, f, p, env.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	after, err := f.Observe(ctx, "cf")
	if err != nil || len(after.Containers) != 1 || after.Containers[0].ID != before.Containers[0].ID {
		t.Errorf("after moving the files: %+v, %v; want container %s kept", after.Containers, err, before.Containers[0].ID)
	}
}
