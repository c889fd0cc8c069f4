package hub

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// recordingExtension is an Extension that records what the hub asks of it.
type recordingExtension struct {
	mu     sync.Mutex
	calls  []string // guarded by mu
	failAt string   // the call that fails, if any
}

func (e *recordingExtension) note(call string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, call)
	if call == e.failAt {
		return errors.New(call + " failed")
	}
	return nil
}

func (e *recordingExtension) seen() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.calls)
}

func (e *recordingExtension) Attach(h *Hub) error { return e.note("attach") }
func (e *recordingExtension) Detach()             { e.note("detach") }

func (e *recordingExtension) APIRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/ext", func(w http.ResponseWriter, _ *http.Request) { WriteJSON(w, http.StatusOK, "api") })
}

func (e *recordingExtension) AdminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/ext", func(w http.ResponseWriter, _ *http.Request) { WriteJSON(w, http.StatusOK, "admin") })
}

// EndTrust writes in the hub's transaction: a key in the meta bucket.
func (e *recordingExtension) EndTrust(tx *bolt.Tx, end TrustEnd) (func(), error) {
	if err := MetaBucket(tx).Put([]byte("ext-ended"), []byte(end.User+"/"+end.Device)); err != nil {
		return nil, err
	}
	call := fmt.Sprintf("end %s %s %s", end.User, end.Device, end.Why)
	return func() { e.note("after " + call) }, e.note(call)
}

func (e *recordingExtension) WriteMetrics(w io.Writer) error {
	_, err := fmt.Fprintln(w, "devenv_ext_up 1")
	return err
}

// TestExtensionSeam: an extension is attached before serving and detached
// on Close, serves its routes on both listeners and its metrics, and ends
// a device's trust inside the revoking transaction, its after step once
// that committed.
func TestExtensionSeam(t *testing.T) {
	ext := &recordingExtension{}
	th := startHub(t, Options{Extensions: []Extension{ext}, MetricsListen: "127.0.0.1:0"})
	var got string
	if err := th.client.do(t.Context(), http.MethodGet, "/api/v1/ext", "", nil, &got); err != nil || got != "api" {
		t.Errorf("the extension's API route: %q, %v", got, err)
	}
	if err := th.admin.Do(t.Context(), http.MethodGet, "/v1/ext", nil, &got); err != nil || got != "admin" {
		t.Errorf("the extension's admin route: %q, %v", got, err)
	}
	resp, err := http.Get("http://" + th.MetricsAddr().String() + hubapi.PathMetrics)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "devenv_ext_up 1\n") {
		t.Errorf("metrics lack the extension's:\n%s", body)
	}

	dev := th.enroll(t, th.invite(t, "ann", InviteOptions{}), "laptop")
	if err := th.admin.Revoke(t.Context(), dev.DeviceID); err != nil {
		t.Fatal(err)
	}
	why := fmt.Sprintf("device laptop (%s) of ann revoked", dev.DeviceID)
	th.Close()
	want := []string{"attach", "end ann " + dev.DeviceID + " " + why, "after end ann " + dev.DeviceID + " " + why, "detach"}
	if got := ext.seen(); !slices.Equal(got, want) {
		t.Errorf("the hub asked\n%q\nwant\n%q", got, want)
	}
	db, err := bolt.Open(filepath.Join(th.opts.DataDir, storeName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		if v := string(MetaBucket(tx).Get([]byte("ext-ended"))); v != "ann/"+dev.DeviceID {
			t.Errorf("the extension's write in the revoking transaction: %q", v)
		}
		return nil
	})
}

// TestExtensionFailingToAttachFailsNew: New fails, and releases the store
// for the next hub.
func TestExtensionFailingToAttachFailsNew(t *testing.T) {
	dir := t.TempDir()
	ext := &recordingExtension{failAt: "attach"}
	if h, err := New(Options{DataDir: dir, Listen: "127.0.0.1:0", Extensions: []Extension{ext}}); err == nil {
		h.Close()
		t.Fatal("New with an extension that fails to attach")
	}
	startHub(t, Options{DataDir: dir})
}

// TestWithoutExtensionsTheHubIsLANOnly: production access's paths are not
// served by a hub without its access half.
func TestWithoutExtensionsTheHubIsLANOnly(t *testing.T) {
	th := startHub(t, Options{})
	if err := th.client.do(t.Context(), http.MethodGet, hubapi.PathTargets, "", nil, nil); errCode(err) != "not_found" {
		t.Errorf("%s on a LAN hub: %v, want not_found", hubapi.PathTargets, err)
	}
	if err := th.admin.Do(t.Context(), http.MethodGet, "/v1/gateways", nil, nil); errCode(err) != "not_found" {
		t.Errorf("/v1/gateways on a LAN hub's admin socket: %v, want not_found", err)
	}
}
