package env_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine/enginetest"
)

// buildProject writes two services' contexts (web/, api/) and a plain
// service, and loads the project.
func buildProject(t *testing.T, extra string) *config.Project {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string]string{
		"web/Dockerfile": "FROM scratch\nCOPY . /\n", "web/index.html": "v1",
		"api/Dockerfile": "FROM scratch\nCOPY . /\n", "api/main": "v1",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	yaml := "name: shop\nservices:\n  web: {build: ./web}\n  api: {build: {context: ./api, args: {V: \"1\"}}, image: api:dev}\n  db: {image: db}\n" + extra
	p, err := config.Parse(filepath.Join(dir, "envs.yaml"), []byte(yaml), config.LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// upCalls runs up and returns its build, create and pull calls, sorted.
func upCalls(t *testing.T, f *enginetest.Fake, p *config.Project, o env.UpOptions) []string {
	t.Helper()
	f.ResetCalls()
	o.Ports = noPorts{}
	if _, err := env.Up(t.Context(), f, p, o); err != nil {
		t.Fatal(err)
	}
	calls := slices.DeleteFunc(f.Calls(), func(c string) bool {
		return !strings.HasPrefix(c, "build ") && !strings.HasPrefix(c, "create ") && !strings.HasPrefix(c, "pull ")
	})
	slices.Sort(calls) // containers are created in parallel
	return calls
}

func TestUpBuildsWhatChanged(t *testing.T) {
	p := buildProject(t, "")
	f := enginetest.New()
	f.AddImage("db")
	steps := []struct {
		name   string
		before func()
		opts   env.UpOptions
		want   []string
	}{
		{name: "first up builds the missing images", want: []string{"build api:dev", "build shop-web", "create shop-api", "create shop-db", "create shop-web"}},
		{name: "nothing changed", want: nil},
		{
			name: "a dry run builds nothing",
			before: func() {
				os.WriteFile(filepath.Join(p.Services["web"].Build.Context, "index.html"), []byte("v2"), 0o644)
			},
			opts: env.UpOptions{DryRun: true},
			want: nil,
		},
		{
			name: "a changed file rebuilds and recreates that service only",
			before: func() {
				os.WriteFile(filepath.Join(p.Services["web"].Build.Context, "index.html"), []byte("v2"), 0o644)
			},
			want: []string{"build shop-web", "create shop-web"},
		},
		{
			name:   "a changed build arg rebuilds that service only",
			before: func() { p.Services["api"].Build.Args["V"] = "2" },
			want:   []string{"build api:dev", "create shop-api"},
		},
		{name: "--build rebuilds; the same inputs give the same images", opts: env.UpOptions{Build: true}, want: []string{"build api:dev", "build shop-web"}},
		{
			name:   "pull_policy: build always builds",
			before: func() { p.Services["web"].PullPolicy = "build" },
			want:   []string{"build shop-web"},
		},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		if diff := cmp.Diff(s.want, upCalls(t, f, p, s.opts)); diff != "" {
			t.Errorf("%s: calls (-want +got):\n%s", s.name, diff)
		}
	}
}

func TestDryRunPlansTheRebuild(t *testing.T) {
	p := buildProject(t, "")
	f := enginetest.New()
	f.AddImage("db")
	upCalls(t, f, p, env.UpOptions{})
	if err := os.WriteFile(filepath.Join(p.Services["api"].Build.Context, "main"), []byte("v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := env.Up(t.Context(), f, p, env.UpOptions{DryRun: true, Ports: noPorts{}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range plan.Steps {
		got = append(got, st.Service+" "+string(st.Action)+" "+st.Reason)
	}
	want := []string{"api recreate image changed", "db keep running", "web keep running"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	if out := plan.String(); !strings.Contains(out, "service api: recreate (image changed), its image built first") ||
		strings.Contains(out, "service web: keep (running), its image built first") {
		t.Errorf("the printed plan does not say which image is built first:\n%s", out)
	}
}

func TestBuildKitOnlyKeysFailClearly(t *testing.T) {
	p := buildProject(t, "  kit: {build: {context: ./web, ssh: [default]}}\n")
	f := enginetest.New()
	f.AddImage("db")
	_, err := env.Up(t.Context(), f, p, env.UpOptions{Services: []string{"kit"}, Ports: noPorts{}})
	if !errors.Is(err, env.ErrBuildKit) || !strings.Contains(err.Error(), "service kit: build: ssh needs BuildKit") {
		t.Errorf("err = %v", err)
	}
	if calls := f.Calls(); len(calls) != 0 {
		t.Errorf("calls %v", calls)
	}
}

func TestBuildCommandBuildsWithoutStarting(t *testing.T) {
	p := buildProject(t, "")
	f := enginetest.New()
	ev := &events{}
	err := env.Build(t.Context(), f, p, env.BuildOptions{Services: []string{"web", "db"}, Args: map[string]string{"X": "1"}, Progress: ev})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"build shop-web"}, f.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if !slices.ContainsFunc(ev.all, func(e env.Event) bool {
		return e.Kind == env.KindBuild && e.Name == "web" && e.Status == env.StatusBuilt
	}) {
		t.Errorf("no built event in %v", ev.all)
	}
	if err := env.Build(t.Context(), f, p, env.BuildOptions{Services: []string{"wbe"}}); err == nil || !strings.Contains(err.Error(), "web") {
		t.Errorf("unknown service: err = %v", err)
	}
}

func TestEveryFailedBuildIsNamed(t *testing.T) {
	p := buildProject(t, "")
	f := enginetest.New()
	f.AddImage("db")
	f.FailNext("build api:dev", errors.New("api broke"))
	f.FailNext("build shop-web", errors.New("web broke"))
	_, err := env.Up(t.Context(), f, p, env.UpOptions{Ports: noPorts{}})
	if err == nil || !strings.Contains(err.Error(), "service api: api broke") || !strings.Contains(err.Error(), "service web: web broke") {
		t.Errorf("err = %v, want both failures", err)
	}
	if calls := f.Calls(); slices.ContainsFunc(calls, func(c string) bool { return strings.HasPrefix(c, "create ") }) {
		t.Errorf("a failed build still created containers: %v", calls)
	}
}
