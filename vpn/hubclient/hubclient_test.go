package hubclient

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// fakeHub answers the hub API from fixed data, following hubapi.
type fakeHub struct {
	requests atomic.Int32
	version  atomic.Uint64
	lastAuth atomic.Value // string
	revoked  atomic.Value // string
}

func (h *fakeHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.requests.Add(1)
	h.lastAuth.Store(r.Header.Get("Authorization"))
	switch r.URL.Path {
	case hubapi.PathEnroll:
		var req hubapi.EnrollRequest
		if json.NewDecoder(r.Body).Decode(&req) != nil {
			writeErr(w, http.StatusBadRequest, "bad_request", "bad body")
			return
		}
		switch req.Secret {
		case "used":
			writeErr(w, http.StatusConflict, "invite_used", "this invite was already used; ask for a new one")
			return
		case "proxy":
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html>bad gateway</html>\nmore"))
			return
		}
		writeJSON(w, hubapi.EnrollResponse{DeviceID: "d1", Token: "tok", Address: "100.100.0.2/32",
			Network: "100.100.0.0/16", Hub: hubapi.HubPeer{Endpoint: "hub:51820"}})
	case hubapi.PathNetMap:
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.serveNetMap(w, r)
	case hubapi.PathLeave:
		w.WriteHeader(http.StatusNoContent)
	case hubapi.PathDevices:
		writeJSON(w, []hubapi.Device{{ID: "d1", Name: "laptop"}})
	case hubapi.PathRevoke:
		var req hubapi.RevokeRequest
		_ = json.NewDecoder(r.Body).Decode(&req)
		h.revoked.Store(req.ID)
		w.WriteHeader(http.StatusNoContent)
	default:
		writeErr(w, http.StatusNotFound, "not_found", "no such path")
	}
}

// serveNetMap long-polls: it answers once the version passes since.
func (h *fakeHub) serveNetMap(w http.ResponseWriter, r *http.Request) {
	since := r.URL.Query().Get("since")
	for {
		v := h.version.Load()
		if since == "" || v > mustUint(since) {
			writeJSON(w, hubapi.NetMap{Version: v})
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func mustUint(s string) uint64 {
	var n uint64
	for _, c := range s {
		n = n*10 + uint64(c-'0')
	}
	return n
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(hubapi.Error{Code: code, Message: msg})
}

func newHub(t *testing.T) (*fakeHub, *httptest.Server, string) {
	t.Helper()
	h := &fakeHub{}
	h.version.Store(1)
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point of some tests
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return h, srv, Fingerprint(srv.Certificate().Raw)
}

func TestEnrollSendsNoTokenAndDecodes(t *testing.T) {
	h, srv, fp := newHub(t)
	c := New(srv.URL+"/", fp, "")
	got, err := c.Enroll(t.Context(), hubapi.EnrollRequest{Secret: "s", Name: "laptop", PublicKey: "pk"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Token != "tok" || got.Address != "100.100.0.2/32" {
		t.Errorf("enroll = %+v", got)
	}
	if a := h.lastAuth.Load(); a != "" {
		t.Errorf("enroll sent Authorization %q", a)
	}
}

func TestFingerprintForms(t *testing.T) {
	_, srv, fp := newHub(t)
	var colons []string
	for i := 0; i < len(fp); i += 2 {
		colons = append(colons, fp[i:i+2])
	}
	for _, f := range []string{fp, strings.ToUpper(fp), strings.Join(colons, ":")} {
		if _, err := New(srv.URL, f, "tok").NetMap(t.Context(), 0); err != nil {
			t.Errorf("fingerprint %s: %v", f, err)
		}
	}
}

func TestWrongFingerprintSendsNothing(t *testing.T) {
	h, srv, fp := newHub(t)
	wrong := strings.Repeat("0", len(fp))
	for _, f := range []string{wrong, ""} {
		_, err := New(srv.URL, f, "tok").Enroll(t.Context(), hubapi.EnrollRequest{Secret: "s"})
		if !errors.Is(err, ErrFingerprint) {
			t.Fatalf("fingerprint %q: err = %v, want ErrFingerprint", f, err)
		}
		if err.Error() != ErrFingerprint.Error() {
			t.Errorf("message = %q", err)
		}
	}
	if n := h.requests.Load(); n != 0 {
		t.Errorf("hub saw %d requests", n)
	}
}

func TestUnreachable(t *testing.T) {
	_, srv, fp := newHub(t)
	url := srv.URL
	srv.Close()
	_, err := New(url, fp, "tok").NetMap(t.Context(), 0)
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, url) || !strings.Contains(msg, "refused") || strings.Contains(msg, "\n") {
		t.Errorf("message = %q: want one line with the URL and the cause", msg)
	}
}

func TestAPIErrors(t *testing.T) {
	_, srv, fp := newHub(t)
	tests := []struct {
		name   string
		call   func(c *Client) error
		status int
		code   Code
		msg    string
	}{
		{"coded", func(c *Client) error {
			_, err := c.Enroll(t.Context(), hubapi.EnrollRequest{Secret: "used"})
			return err
		}, http.StatusConflict, ErrInviteUsed, "hub: this invite was already used; ask for a new one"},
		{"no body 401", func(c *Client) error {
			_, err := New(srv.URL, fp, "other").NetMap(t.Context(), 0)
			return err
		}, http.StatusUnauthorized, ErrUnauthorized, "hub: HTTP 401 Unauthorized"},
		{"not json", func(c *Client) error {
			_, err := c.Enroll(t.Context(), hubapi.EnrollRequest{Secret: "proxy"})
			return err
		}, http.StatusBadGateway, "", "hub: <html>bad gateway</html>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(New(srv.URL, fp, "tok"))
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *APIError", err)
			}
			if ae.Status != tt.status || err.Error() != tt.msg {
				t.Errorf("status %d message %q, want %d %q", ae.Status, err, tt.status, tt.msg)
			}
			if tt.code != "" && !errors.Is(err, tt.code) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.code)
			}
			if errors.Is(err, ErrNameTaken) {
				t.Errorf("errors.Is(%v, ErrNameTaken) = true", err)
			}
		})
	}
}

func TestNetMapLongPoll(t *testing.T) {
	h, srv, fp := newHub(t)
	h.version.Store(3)
	c := New(srv.URL, fp, "tok")
	done := make(chan hubapi.NetMap)
	go func() {
		nm, err := c.NetMap(t.Context(), 3)
		if err != nil {
			t.Error(err)
		}
		done <- nm
	}()
	select {
	case <-done:
		t.Fatal("long-poll answered before the version changed")
	case <-time.After(100 * time.Millisecond):
	}
	h.version.Store(4)
	if nm := <-done; nm.Version != 4 {
		t.Errorf("version = %d, want 4", nm.Version)
	}
}

func TestNetMapCanceled(t *testing.T) {
	h, srv, fp := newHub(t)
	h.version.Store(1)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := New(srv.URL, fp, "tok").NetMap(ctx, 1)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnreachable) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestAdminCalls(t *testing.T) {
	h, srv, fp := newHub(t)
	c := New(srv.URL, fp, "admin")
	ds, err := c.Devices(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]hubapi.Device{{ID: "d1", Name: "laptop"}}, ds); diff != "" {
		t.Errorf("devices (-want +got):\n%s", diff)
	}
	if err := c.Revoke(t.Context(), "d1"); err != nil {
		t.Fatal(err)
	}
	if h.revoked.Load() != "d1" || h.lastAuth.Load() != "Bearer admin" {
		t.Errorf("revoked %v with %v", h.revoked.Load(), h.lastAuth.Load())
	}
	if err := New(srv.URL, fp, "tok").Leave(t.Context()); err != nil {
		t.Fatal(err)
	}
}
