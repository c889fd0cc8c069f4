package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
)

// fakeHub speaks the gateway's paths of the hub API over TLS. While down it
// drops every connection, as a hub that went away would.
type fakeHub struct {
	srv *httptest.Server

	mu         sync.Mutex
	down       bool                     // guarded by mu
	version    uint64                   // guarded by mu
	grants     []hubapi.Grant           // guarded by mu
	changed    chan struct{}            // guarded by mu; closed and replaced on every change
	registered []hubapi.RegisterTargets // guarded by mu
	audit      []hubapi.AuditRecord     // guarded by mu
	// refusedRegistrations counts registrations dropped while down: one
	// means the gateway's long-poll has ended and it is trying again.
	refusedRegistrations int // guarded by mu
}

func newFakeHub(t *testing.T) *fakeHub {
	h := &fakeHub{changed: make(chan struct{})}
	h.srv = httptest.NewTLSServer(h)
	t.Cleanup(func() {
		h.setDown(true)
		h.srv.Close()
	})
	return h
}

func (h *fakeHub) client() *hubclient.Client {
	return hubclient.New(h.srv.URL, hubclient.Fingerprint(h.srv.Certificate().Raw), "gw-token")
}

func (h *fakeHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.isDown() || r.Header.Get("Authorization") != "Bearer gw-token" {
		if r.URL.Path == hubapi.PathGatewayTargets {
			h.mu.Lock()
			h.refusedRegistrations++
			h.mu.Unlock()
		}
		drop(w)
		return
	}
	switch r.URL.Path {
	case hubapi.PathGatewayTargets:
		var reg hubapi.RegisterTargets
		_ = json.NewDecoder(r.Body).Decode(&reg)
		h.mu.Lock()
		h.registered = append(h.registered, reg)
		h.mu.Unlock()
		writeJSON(w, hubapi.GatewayInfo{Name: "prod-gw"})
	case hubapi.PathGatewayGrants:
		since, _ := strconv.ParseUint(r.URL.Query().Get("since"), 10, 64)
		h.serveGrants(w, r, since)
	case hubapi.PathGatewayAudit:
		var recs []hubapi.AuditRecord
		_ = json.NewDecoder(r.Body).Decode(&recs)
		h.mu.Lock()
		h.audit = append(h.audit, recs...)
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(w, r)
	}
}

// serveGrants long-polls for up to 2 s for a version newer than since.
func (h *fakeHub) serveGrants(w http.ResponseWriter, r *http.Request, since uint64) {
	timeout := time.After(2 * time.Second)
	for {
		h.mu.Lock()
		gg := hubapi.GatewayGrants{Version: h.version, Grants: append([]hubapi.Grant(nil), h.grants...), Now: time.Now()}
		changed, down := h.changed, h.down
		h.mu.Unlock()
		if down {
			drop(w)
			return
		}
		if gg.Version > since {
			writeJSON(w, gg)
			return
		}
		select {
		case <-changed:
		case <-timeout:
			gg.Now = time.Now()
			writeJSON(w, gg)
			return
		case <-r.Context().Done():
			return
		}
	}
}

// set replaces the active grants.
func (h *fakeHub) set(gs ...hubapi.Grant) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.grants = gs
	h.version++
	close(h.changed)
	h.changed = make(chan struct{})
}

func (h *fakeHub) setDown(down bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.down = down
	close(h.changed) // wakes long-polls, which then drop their connections
	h.changed = make(chan struct{})
}

// waitGatewayGaveUp waits until the gateway, its long-poll ended, tries to
// register again with the hub that is down: from then on its last contact
// stays put.
func (h *fakeHub) waitGatewayGaveUp(t *testing.T) {
	t.Helper()
	testutil.Eventually(t, "the gateway to try to register again with the hub that is down", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.refusedRegistrations > 0
	})
}

func (h *fakeHub) isDown() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.down
}

func (h *fakeHub) records() []hubapi.AuditRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hubapi.AuditRecord(nil), h.audit...)
}

func (h *fakeHub) registrations() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.registered)
}

// drop closes the connection without an answer.
func drop(w http.ResponseWriter) {
	if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
		c.Close()
		return
	}
	panic(http.ErrAbortHandler)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
