package env_test

import (
	"context"
	"errors"
	"testing"

	"github.com/devenv-dev/devenv/env"
)

// Port finds a published port by container port and protocol, and says
// when it is not published.
func TestPort(t *testing.T) {
	ctx := context.Background()
	p := parse(t, "name: pt\nservices:\n  web: {image: web:1, ports: [\"127.0.0.1::80\", \"127.0.0.1::53/udp\"]}\n  db: {image: db:1}\n")
	f := fakeWith(t, p, nil)
	if _, err := env.Up(ctx, f, p, env.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	// The fake holds the host ports it chose while the containers run.
	t.Cleanup(func() { _ = env.Stop(context.Background(), f, p, env.LifecycleOptions{}) })
	got, err := env.Port(ctx, f, p, env.PortOptions{Service: "web", Port: 80})
	if err != nil || got.HostIP != "127.0.0.1" || got.HostPort == 0 || got.Protocol != "tcp" {
		t.Errorf("Port(web, 80) = %+v, %v", got, err)
	}
	udp, err := env.Port(ctx, f, p, env.PortOptions{Service: "web", Port: 53, Protocol: "udp"})
	if err != nil || udp.Protocol != "udp" || udp.HostPort == 0 {
		t.Errorf("Port(web, 53/udp) = %+v, %v", udp, err)
	}
	for _, o := range []env.PortOptions{{Service: "web", Port: 53}, {Service: "db", Port: 5432}} {
		if _, err := env.Port(ctx, f, p, o); !errors.Is(err, env.ErrNotPublished) {
			t.Errorf("Port(%+v) = %v, want ErrNotPublished", o, err)
		}
	}
	if _, err := env.Port(ctx, f, p, env.PortOptions{Service: "web", Port: 80, Protocol: "sctp"}); err == nil {
		t.Error("Port with protocol sctp: no error")
	}
}

// Top lists running containers only.
func TestTop(t *testing.T) {
	ctx := context.Background()
	p := parse(t, "name: tp\nservices:\n  api: {image: api:1, command: [serve]}\n  db: {image: db:1}\n")
	f := fakeWith(t, p, nil)
	if _, err := env.Up(ctx, f, p, env.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := env.Stop(ctx, f, p, env.LifecycleOptions{Services: []string{"db"}}); err != nil {
		t.Fatal(err)
	}
	got, err := env.Top(ctx, f, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Container != "tp-api" || got[0].Rows[0][7] != "serve" {
		t.Errorf("Top = %+v, want tp-api only, running serve", got)
	}
}
