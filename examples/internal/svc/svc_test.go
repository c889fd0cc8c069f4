package svc

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func statusServer(t *testing.T, code int) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(s.Close)
	return s
}

func TestHealthCommand(t *testing.T) {
	ok := statusServer(t, http.StatusOK)
	bad := statusServer(t, http.StatusServiceUnavailable)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{name: "healthy", args: []string{ok.URL + "/healthz"}, wantCode: 0, wantOut: "ok"},
		{name: "503", args: []string{bad.URL + "/healthz"}, wantCode: 1, wantOut: "503"},
		{name: "refused", args: []string{"http://127.0.0.1:1/healthz"}, wantCode: 1, wantOut: "refused"},
		{name: "too many args", args: []string{"a", "b"}, wantCode: 2, wantOut: "usage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if got := HealthCommand(t.Context(), tt.args, &out); got != tt.wantCode {
				t.Errorf("exit code = %d, want %d (output %q)", got, tt.wantCode, out.String())
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("output %q does not mention %q", out.String(), tt.wantOut)
			}
		})
	}
}

func TestCheckDependencies(t *testing.T) {
	ok := statusServer(t, http.StatusOK)
	bad := statusServer(t, http.StatusServiceUnavailable)
	if err := CheckDependencies(t.Context(), []Dependency{{"a", ok.URL}, {"b", ok.URL + "/"}}); err != nil {
		t.Fatalf("all healthy: %v", err)
	}
	err := CheckDependencies(t.Context(), []Dependency{{"a", ok.URL}, {"store", bad.URL}})
	if !errors.Is(err, ErrUnhealthy) || !strings.Contains(err.Error(), "dependency store") {
		t.Fatalf("one unhealthy: got %v, want ErrUnhealthy naming store", err)
	}
}

func TestHealthz(t *testing.T) {
	var notReady error = errors.New("store down")
	h := Healthz(func(context.Context) error { return notReady })
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "store down") {
		t.Fatalf("not ready: %d %q", rec.Code, rec.Body.String())
	}
	notReady = nil
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("ready: %d", rec.Code)
	}
}

func TestLogRequests(t *testing.T) {
	var buf bytes.Buffer
	h := LogRequests(NewLogger(&buf, "x"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/brew", nil))
	for _, want := range []string{"service=x", "path=/brew", "status=418"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log %q lacks %q", buf.String(), want)
		}
	}
}

func TestServeListenerShutsDownOnCancel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- ServeListener(ctx, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "hi")
		}))
	}()
	resp, err := http.Get("http://" + ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ServeListener after cancel: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("ServeListener did not return")
	}
}

func TestEnv(t *testing.T) {
	env := Env(func(k string) string { return map[string]string{"STORE_URL": "http://db:1", "EMPTY": ""}[k] })
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"set", env.Get("STORE_URL", "x"), "http://db:1"},
		{"empty falls back", env.Get("EMPTY", "def"), "def"},
		{"dependency from env", env.Dependency("store"), Dependency{Name: "store", URL: "http://db:1"}},
		{"dependency default", env.Dependency("works"), Dependency{Name: "works", URL: "http://works:8080"}},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestClientDo(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/echo":
			if BearerToken(r) != "tok" {
				WriteError(w, http.StatusUnauthorized, "no token")
				return
			}
			var in map[string]string
			if err := ReadJSON(r, &in); err != nil {
				WriteError(w, http.StatusBadRequest, err.Error())
				return
			}
			WriteJSON(w, http.StatusOK, in)
		default:
			WriteError(w, http.StatusNotFound, "nothing here")
		}
	}))
	defer srv.Close()
	c := Client{BaseURL: srv.URL + "/"}
	var out map[string]string
	if err := c.Do(t.Context(), http.MethodPost, "/echo", "tok", map[string]string{"a": "b"}, &out); err != nil || out["a"] != "b" {
		t.Fatalf("echo = %v, %v", out, err)
	}
	err := c.Do(t.Context(), http.MethodPost, "/echo", "", map[string]string{}, nil)
	if !HasStatus(err, http.StatusUnauthorized) || !strings.Contains(err.Error(), "no token") {
		t.Fatalf("without token: %v, want 401 naming the reason", err)
	}
	if err := c.Do(t.Context(), http.MethodPost, "/echo", "tok", []byte(`{"x":1}`), nil); !HasStatus(err, http.StatusBadRequest) {
		t.Fatalf("bad body: %v, want 400", err)
	}
	var raw []byte
	if err := c.Do(t.Context(), http.MethodGet, "/missing", "", nil, &raw); !HasStatus(err, http.StatusNotFound) {
		t.Fatalf("missing: %v, want 404", err)
	}
}
