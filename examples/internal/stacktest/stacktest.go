// Package stacktest runs pieces of the sample stack in-process for tests:
// each service's real handler on an httptest server, wired by URL.
package stacktest

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/devenv-dev/devenv/examples/internal/api"
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

// Passport runs a stand-in for the passport service whose GET /validate
// accepts exactly the given tokens.
func Passport(t testing.TB, tokens map[string]api.Claims) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /validate", func(w http.ResponseWriter, r *http.Request) {
		c, ok := tokens[svc.BearerToken(r)]
		if !ok {
			svc.WriteError(w, http.StatusUnauthorized, "invalid or expired token")
			return
		}
		svc.WriteJSON(w, http.StatusOK, c)
	})
	return Serve(t, &svc.Service{Name: "passport", Routes: mux})
}

// Fixed runs a stand-in service answering GET <path> with the JSON of
// answers[path]; an error value answers 500 with its text.
func Fixed(t testing.TB, answers map[string]any) string {
	t.Helper()
	mux := http.NewServeMux()
	for path, v := range answers {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
			if err, ok := v.(error); ok {
				svc.WriteError(w, http.StatusInternalServerError, err.Error())
				return
			}
			svc.WriteJSON(w, http.StatusOK, v)
		})
	}
	return Serve(t, &svc.Service{Name: "fixed", Routes: mux})
}
