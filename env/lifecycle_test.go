package env_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/devenv-dev/devenv/env"
)

// Stop, Start and Restart name the services they cannot act on, in
// words, and say what to do.
func TestLifecycleNamesMissingServices(t *testing.T) {
	p := parse(t, "services:\n  api: {image: api:1}\n  db: {image: db:1}\n  web: {image: web:1}\n")
	f := fakeWith(t, p, nil)
	for _, tc := range []struct {
		services []string
		want     string
	}{
		{[]string{"web"}, "service web: no container; run devenv up first"},
		{[]string{"web", "api"}, "services api, web: no container; run devenv up first"},
	} {
		err := env.Restart(context.Background(), f, p, env.LifecycleOptions{Services: tc.services})
		if !errors.Is(err, env.ErrNoContainer) || err.Error() != tc.want {
			t.Errorf("Restart(%v) = %v, want %q", tc.services, err, tc.want)
		}
	}
}

// Restart reports each service stopping, starting and started, with no
// detail that repeats the action's name.
func TestRestartReportsItsSteps(t *testing.T) {
	p := parse(t, "services:\n  api: {image: api:1}\n")
	f := fakeWith(t, p, map[string]behaviour{"api": {health: "healthy"}})
	if _, err := env.Up(context.Background(), f, p, env.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	var got []string
	rep := env.ReporterFunc(func(ev env.Event) {
		got = append(got, ev.Name+" "+string(ev.Status)+" "+ev.Detail)
	})
	if err := env.Restart(context.Background(), f, p, env.LifecycleOptions{Progress: rep}); err != nil {
		t.Fatal(err)
	}
	want := "api stopping |api starting |api started "
	if s := strings.Join(got, "|"); s != want {
		t.Fatalf("Restart reported %q, want %q", s, want)
	}
}
