// Package stacktest runs pieces of the sample stack in-process for tests:
// each service's real handler on an httptest server, wired by URL.
package stacktest

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/devenv-dev/devenv/examples/internal/kv"
	"github.com/devenv-dev/devenv/examples/internal/svc"
)

// Logger discards everything; services under test still log through it.
func Logger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Serve runs s's full handler (routes, /healthz) until the test ends and
// returns its base URL.
func Serve(t testing.TB, s *svc.Service) string {
	t.Helper()
	srv := httptest.NewServer(svc.Handler(s, Logger()))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Store runs an empty in-memory store and returns its base URL.
func Store(t testing.TB) string {
	t.Helper()
	data, err := kv.Open("")
	if err != nil {
		t.Fatal(err)
	}
	return Serve(t, &svc.Service{Name: "store", Routes: data.Routes()})
}

// Env returns an svc.Env backed by vars.
func Env(vars map[string]string) svc.Env {
	return func(k string) string { return vars[k] }
}
