package hubclient

import (
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// call is one request the fake access hub saw.
type call struct {
	Method, Path, Query, Body string
}

// accessHub records every call and answers with the canned value for its path.
type accessHub struct {
	mu      sync.Mutex
	calls   []call         // guarded by mu
	answers map[string]any // path -> value to encode; an hubapi.Error is sent as 403
}

func (h *accessHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.calls = append(h.calls, call{r.Method, r.URL.Path, r.URL.RawQuery, string(b)})
	h.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer tok" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch v := h.answers[r.URL.Path].(type) {
	case nil:
		writeErr(w, http.StatusNotFound, "not_found", "no such path")
	case hubapi.Error:
		writeErr(w, http.StatusForbidden, v.Code, v.Message)
	default:
		writeJSON(w, v)
	}
}

func (h *accessHub) last() call {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls[len(h.calls)-1]
}

func newAccessHub(t *testing.T, answers map[string]any) (*accessHub, *Client) {
	t.Helper()
	h := &accessHub{answers: answers}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c := New(srv.URL, Fingerprint(srv.Certificate().Raw), "tok")
	t.Cleanup(c.Close)
	return h, c
}

func TestAccessCalls(t *testing.T) {
	req := hubapi.Request{ID: "r1", Target: "api", State: hubapi.StatePending}
	grant := hubapi.Grant{RequestID: "r1", Target: "api", Gateway: hubapi.Gateway{TargetAddress: "100.101.0.1:80"}}
	audit := []hubapi.AuditRecord{{Seq: 1, Action: "request", Hash: "h1"}}
	targets := []hubapi.Target{{Name: "api", Protocol: "http", MaxTTL: time.Hour}}
	h, c := newAccessHub(t, map[string]any{
		hubapi.PathTargets: targets, hubapi.PathRequests: req, hubapi.PathApprove: req,
		hubapi.PathDeny: req, hubapi.PathRevokeGrant: req, hubapi.PathGrant: grant, hubapi.PathAudit: audit,
	})
	since := time.Date(2026, 5, 1, 10, 0, 0, 0, time.FixedZone("x", 3600))
	tests := []struct {
		name string
		do   func() (any, error)
		want any
		call call
	}{
		{"targets", func() (any, error) { return c.Targets(t.Context()) }, targets,
			call{"GET", hubapi.PathTargets, "", ""}},
		{"request", func() (any, error) {
			return c.Request(t.Context(), hubapi.AccessRequest{Target: "api", For: time.Minute, Reason: "bug", PublicKey: "pk"})
		}, req, call{"POST", hubapi.PathRequests, "", `{"target":"api","for":60000000000,"reason":"bug","public_key":"pk"}`}},
		{"approve", func() (any, error) {
			return c.Approve(t.Context(), hubapi.ApproveRequest{ID: "r1", For: time.Minute})
		}, req, call{"POST", hubapi.PathApprove, "", `{"id":"r1","for":60000000000}`}},
		{"deny", func() (any, error) {
			return c.Deny(t.Context(), hubapi.DenyRequest{ID: "r1", Reason: "no"})
		}, req, call{"POST", hubapi.PathDeny, "", `{"id":"r1","reason":"no"}`}},
		{"revoke", func() (any, error) { return c.RevokeGrant(t.Context(), "r1") }, req,
			call{"POST", hubapi.PathRevokeGrant, "", `{"id":"r1"}`}},
		{"grant", func() (any, error) { return c.Grant(t.Context(), "r1", false) }, grant,
			call{"GET", hubapi.PathGrant, "id=r1", ""}},
		{"grant wait", func() (any, error) { return c.Grant(t.Context(), "r 1", true) }, grant,
			call{"GET", hubapi.PathGrant, "id=r+1&wait=1", ""}},
		{"audit all", func() (any, error) { return c.Audit(t.Context(), "", time.Time{}) }, audit,
			call{"GET", hubapi.PathAudit, "", ""}},
		{"audit filtered", func() (any, error) { return c.Audit(t.Context(), "api", since) }, audit,
			call{"GET", hubapi.PathAudit, "since=2026-05-01T09%3A00%3A00Z&target=api", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.do()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.call, h.last()); diff != "" {
				t.Errorf("call (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRequestsState(t *testing.T) {
	rs := []hubapi.Request{{ID: "r1"}, {ID: "r2"}}
	h, c := newAccessHub(t, map[string]any{hubapi.PathRequests: rs})
	for _, state := range []string{RequestsPending, RequestsMine, RequestsAll, ""} {
		got, err := c.Requests(t.Context(), state)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(rs, got); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
		want := ""
		if state != "" {
			want = "state=" + state
		}
		if q := h.last().Query; q != want {
			t.Errorf("state %q: query %q, want %q", state, q, want)
		}
	}
}

func TestAccessErrors(t *testing.T) {
	_, c := newAccessHub(t, map[string]any{
		hubapi.PathApprove: hubapi.Error{Code: "self_approval", Message: "you cannot approve your own request; ask another approver"},
		hubapi.PathDeny:    hubapi.Error{Code: "forbidden", Message: "denying needs the approver role"},
	})
	_, err := c.Approve(t.Context(), hubapi.ApproveRequest{ID: "r1"})
	if !errors.Is(err, ErrSelfApproval) || err.Error() != "hub: you cannot approve your own request; ask another approver" {
		t.Errorf("approve: %v", err)
	}
	_, err = c.Deny(t.Context(), hubapi.DenyRequest{ID: "r1"})
	if !errors.Is(err, ErrForbidden) || err.Error() != "hub: denying needs the approver role" {
		t.Errorf("deny: %v", err)
	}
	_, err = c.Targets(t.Context())
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusNotFound {
		t.Errorf("targets: %v", err)
	}
}
