package vpn

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hub/hubtest"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
)

// lossyHub is the real hub's enrollment (its store and rules) behind an
// HTTPS front that drops the answers it is told to: the hub did the work,
// the client never heard.
type lossyHub struct {
	hub *hub.Hub
	srv *httptest.Server

	mu   sync.Mutex
	drop int // answers still to drop
	seen int // enrollments the hub handled
}

func newLossyHub(t *testing.T) *lossyHub {
	h := hubtest.Start(t, hub.Options{})
	if _, err := h.AddUser("ann", hubapi.RoleDeveloper); err != nil {
		t.Fatal(err)
	}
	l := &lossyHub{hub: h.Hub}
	l.srv = httptest.NewTLSServer(http.HandlerFunc(l.serve))
	t.Cleanup(l.srv.Close)
	return l
}

func (l *lossyHub) serve(w http.ResponseWriter, r *http.Request) {
	var req hubapi.EnrollRequest
	if r.URL.Path != hubapi.PathEnroll || json.NewDecoder(r.Body).Decode(&req) != nil {
		http.Error(w, "not here", http.StatusNotFound)
		return
	}
	resp, err := l.hub.Enroll(req)
	l.mu.Lock()
	l.seen++
	drop := l.drop > 0
	l.drop--
	l.mu.Unlock()
	if drop {
		panic(http.ErrAbortHandler) // the connection ends without an answer
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	_ = json.NewEncoder(w).Encode(resp)
}

func (l *lossyHub) dropNext(n int) {
	l.mu.Lock()
	l.drop = n
	l.mu.Unlock()
}

// invite is an invite of the real hub that reaches it through the front.
func (l *lossyHub) invite(t *testing.T) string {
	created, err := l.hub.CreateInvite(hub.InviteOptions{User: "ann"})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := hubapi.ParseInvite(created.Invite)
	if err != nil {
		t.Fatal(err)
	}
	inv.HubURL, inv.Fingerprint = l.srv.URL, hubclient.Fingerprint(l.srv.Certificate().Raw)
	return inv.Encode()
}

func (l *lossyHub) devices(t *testing.T) []hubapi.Device {
	ds, err := l.hub.Devices()
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// A join whose answer is lost ends with the device joined, not with a
// device on the hub that no client holds: within one run by retrying, and
// across runs by keeping the key until the same join runs again.
func TestJoinSurvivesALostAnswer(t *testing.T) {
	defer func(r []time.Duration) { enrollRetries = r }(enrollRetries)
	enrollRetries = []time.Duration{time.Millisecond}
	l := newLossyHub(t)

	l.dropNext(1)
	dir := filepath.Join(t.TempDir(), "vpn")
	st, err := Join(t.Context(), JoinOptions{Invite: l.invite(t), Name: "laptop", Dir: dir})
	if err != nil {
		t.Fatalf("one lost answer: %v", err)
	}
	if ds := l.devices(t); len(ds) != 1 || ds[0].ID != st.DeviceID || ds[0].PublicKey != st.PublicKey {
		t.Errorf("the hub holds %+v, want the one device %s the client saved", ds, st.DeviceID)
	}

	l.dropNext(len(enrollRetries) + 1) // every attempt of the next run
	dir2 := filepath.Join(t.TempDir(), "vpn")
	inv := l.invite(t)
	_, err = Join(t.Context(), JoinOptions{Invite: inv, Name: "desktop", Dir: dir2})
	if !errors.Is(err, hubclient.ErrUnreachable) {
		t.Fatalf("every answer lost: %v, want unreachable", err)
	}
	if _, err := os.Stat(filepath.Join(dir2, pendingFile)); err != nil {
		t.Fatalf("the pending key is gone after a lost answer: %v", err)
	}
	st2, err := Join(t.Context(), JoinOptions{Invite: inv, Name: "desktop", Dir: dir2})
	if err != nil {
		t.Fatalf("the same join run again: %v", err)
	}
	if ds := l.devices(t); len(ds) != 2 {
		t.Errorf("the hub holds %d devices after the second join, want 2: %+v", len(ds), ds)
	}
	if st2.DeviceID == st.DeviceID {
		t.Errorf("two joins share device %s", st2.DeviceID)
	}
	if _, err := os.Stat(filepath.Join(dir2, pendingFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the pending key outlives the join: %v", err)
	}
	if _, err := Join(t.Context(), JoinOptions{Invite: inv, Name: "other", Dir: t.TempDir()}); err == nil {
		t.Errorf("the used invite enrolled another device with another key")
	}
}
