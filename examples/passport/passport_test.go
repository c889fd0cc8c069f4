package main

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/examples/internal/api"
	"github.com/devenv-dev/devenv/examples/internal/stacktest"
	"github.com/devenv-dev/devenv/examples/internal/svc"
)

func TestSignerRejectsTamperedAndExpired(t *testing.T) {
	now := time.Unix(1000, 0)
	s := signer{secret: []byte("k"), ttl: time.Minute, now: func() time.Time { return now }}
	token, _ := s.issue(api.Claims{Name: "alice", Role: api.RoleMember})
	if c, err := s.validate(token); err != nil || c.Name != "alice" {
		t.Fatalf("validate fresh token = %+v, %v", c, err)
	}
	other := signer{secret: []byte("other"), ttl: time.Minute, now: s.now}
	tests := map[string]struct {
		s     signer
		token string
	}{
		"wrong secret": {other, token},
		"truncated":    {s, token[:len(token)-2]},
		"no signature": {s, "abc"},
		"expired":      {signer{secret: []byte("k"), now: func() time.Time { return now.Add(time.Hour) }}, token},
	}
	for name, tt := range tests {
		if _, err := tt.s.validate(tt.token); !errors.Is(err, errBadToken) {
			t.Errorf("%s: validate = %v, want errBadToken", name, err)
		}
	}
}

// startPassport runs passport against an in-process store.
func startPassport(t *testing.T) *api.Passport {
	t.Helper()
	env := stacktest.Env(map[string]string{"STORE_URL": stacktest.Store(t)})
	s, err := build(env, stacktest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	return api.NewPassport(stacktest.Serve(t, s))
}

func TestCreateLoginValidate(t *testing.T) {
	ctx := t.Context()
	p := startPassport(t)
	create := func(name, password string) error {
		return p.Do(ctx, http.MethodPost, "/users", "", map[string]string{"name": name, "password": password}, nil)
	}
	if err := create("bob", "pw"); err != nil {
		t.Fatal(err)
	}
	if err := create("bob", "again"); !svc.HasStatus(err, http.StatusConflict) {
		t.Fatalf("second create = %v, want 409", err)
	}
	if _, err := p.Login(ctx, "bob", "nope"); !errors.Is(err, api.ErrUnauthorized) {
		t.Fatalf("login with wrong password = %v, want ErrUnauthorized", err)
	}
	token, err := p.Login(ctx, "bob", "pw")
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.Validate(ctx, token)
	if err != nil || c != (api.Claims{Name: "bob", Role: api.RoleMember}) {
		t.Fatalf("Validate = %+v, %v", c, err)
	}
	if _, err := p.Validate(context.Background(), token+"x"); !errors.Is(err, api.ErrUnauthorized) {
		t.Fatalf("Validate tampered = %v, want ErrUnauthorized", err)
	}
}
