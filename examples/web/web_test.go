package main

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/examples/internal/api"
	"github.com/devenv-dev/devenv/examples/internal/stacktest"
	"github.com/devenv-dev/devenv/examples/internal/svc"
)

func TestHomeRendersBackends(t *testing.T) {
	works := stacktest.Fixed(t, map[string]any{"/works": []api.Work{{Title: "Quarterly <report>", Author: "alice"}}})
	message := stacktest.Fixed(t, map[string]any{"/announcements": errors.New("store down")})
	s, err := build(stacktest.Env(map[string]string{"WORKS_URL": works, "MESSAGE_URL": message}), stacktest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	c := svc.Client{BaseURL: stacktest.Serve(t, s)}
	var body []byte
	if err := c.Do(t.Context(), http.MethodGet, "/", "", nil, &body); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Quarterly &lt;report&gt;", "by alice", "message unavailable", "store down"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("page lacks %q:\n%s", want, body)
		}
	}
	if err := c.Do(t.Context(), http.MethodGet, "/nope", "", nil, nil); !svc.HasStatus(err, http.StatusNotFound) {
		t.Errorf("GET /nope = %v, want 404", err)
	}
}

func TestHomeShowsAnnouncements(t *testing.T) {
	day := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	works := stacktest.Fixed(t, map[string]any{"/works": []api.Work{}})
	message := stacktest.Fixed(t, map[string]any{"/announcements": []api.Message{{Text: "Welcome", From: "admin", Created: day}}})
	s, err := build(stacktest.Env(map[string]string{"WORKS_URL": works, "MESSAGE_URL": message}), stacktest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	var body []byte
	if err := (svc.Client{BaseURL: stacktest.Serve(t, s)}).Do(t.Context(), http.MethodGet, "/", "", nil, &body); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Welcome", "admin, 2024-01-02", "No works yet."} {
		if !strings.Contains(string(body), want) {
			t.Errorf("page lacks %q:\n%s", want, body)
		}
	}
}
