package vpn

import (
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
	"github.com/devenv-dev/devenv/vpn/wg"
)

// fakeHub follows hubapi with one device; tests change its netmap and the
// node's long-poll answers at once.
type fakeHub struct {
	t         *testing.T
	pollLimit time.Duration // the hub's long-poll timeout; short in tests

	mu        sync.Mutex
	nm        hubapi.NetMap       // guarded by mu
	changed   chan struct{}       // guarded by mu; closed and replaced on every change
	enrollErr *hubclient.APIError // guarded by mu; the next enrolments fail with it
	requests  []string            // guarded by mu; method, path and body of each request
	leaves    int                 // guarded by mu
	polls     int                 // guarded by mu
}

const (
	testToken   = "device-token"
	testNetwork = "100.100.0.0/16"
)

func newFakeHub(t *testing.T) *fakeHub {
	hubKey, _ := wgtypes.GeneratePrivateKey()
	return &fakeHub{t: t, pollLimit: 2 * time.Second, changed: make(chan struct{}), nm: hubapi.NetMap{
		Version: 1,
		Self:    hubapi.Device{ID: "d1", Name: "laptop", Address: "100.100.0.2/32"},
		Hub: hubapi.HubPeer{PublicKey: hubKey.PublicKey().String(), Endpoint: "127.0.0.1:51820",
			Address: "100.100.0.1/32", AllowedIPs: []string{testNetwork}},
	}}
}

// start serves the hub over TLS on addr ("" for any port).
func (h *fakeHub) start(addr string) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			h.t.Fatalf("restarting the hub on %s: %v", addr, err)
		}
		srv.Listener.Close()
		srv.Listener = ln
	}
	srv.StartTLS()
	h.t.Cleanup(srv.Close)
	return srv
}

func fingerprint(srv *httptest.Server) string { return hubclient.Fingerprint(srv.Certificate().Raw) }

func invite(srv *httptest.Server, secret string) string {
	return hubapi.Invite{HubURL: srv.URL, Fingerprint: fingerprint(srv), Secret: secret}.Encode()
}

// update changes the netmap and wakes the long-polls.
func (h *fakeHub) update(f func(*hubapi.NetMap)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f(&h.nm)
	h.nm.Version++
	close(h.changed)
	h.changed = make(chan struct{})
}

func (h *fakeHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.requests = append(h.requests, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization")+" "+string(body))
	h.mu.Unlock()
	if r.URL.Path != hubapi.PathEnroll && r.Header.Get("Authorization") != "Bearer "+testToken {
		writeError(w, &hubclient.APIError{Status: 401, Body: hubapi.Error{Code: "unauthorized", Message: "who?"}})
		return
	}
	switch r.URL.Path {
	case hubapi.PathEnroll:
		h.enroll(w, body)
	case hubapi.PathNetMap:
		since, _ := strconv.ParseUint(r.URL.Query().Get("since"), 10, 64)
		h.netMap(w, r, since)
	case hubapi.PathLeave:
		h.mu.Lock()
		h.leaves++
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, &hubclient.APIError{Status: 404, Body: hubapi.Error{Code: "not_found"}})
	}
}

func (h *fakeHub) enroll(w http.ResponseWriter, body []byte) {
	var req hubapi.EnrollRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, &hubclient.APIError{Status: 400, Body: hubapi.Error{Code: "bad_request"}})
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.enrollErr != nil {
		writeError(w, h.enrollErr)
		return
	}
	h.nm.Self.PublicKey, h.nm.Self.Name = req.PublicKey, req.Name
	writeJSON(w, hubapi.EnrollResponse{DeviceID: "d1", Token: testToken, Address: h.nm.Self.Address,
		Network: testNetwork, User: "ann", Hub: h.nm.Hub})
}

func (h *fakeHub) netMap(w http.ResponseWriter, r *http.Request, since uint64) {
	h.mu.Lock()
	h.polls++
	h.mu.Unlock()
	timeout := time.After(h.pollLimit)
	for {
		h.mu.Lock()
		nm, changed := h.nm, h.changed
		h.mu.Unlock()
		if nm.Version != since || nm.Revoked {
			writeJSON(w, nm)
			return
		}
		select {
		case <-changed:
		case <-timeout:
			writeJSON(w, nm)
			return
		case <-r.Context().Done():
			return
		}
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, e *hubclient.APIError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(e.Body)
}

// fakeDevice records what the node asks of its device.
type fakeDevice struct {
	opts wg.Options

	mu     sync.Mutex
	ops    []string           // guarded by mu: "set KEY ENDPOINT", "remove KEY", "close"
	peers  map[wg.Key]wg.Peer // guarded by mu
	closed chan struct{}
}

func newFakeDevice(o wg.Options) *fakeDevice {
	return &fakeDevice{opts: o, peers: map[wg.Key]wg.Peer{}, closed: make(chan struct{})}
}

func (d *fakeDevice) Backend() wg.Backend { return "fake" }
func (d *fakeDevice) Name() string        { return d.opts.Config.Name }
func (d *fakeDevice) PublicKey() wg.Key   { return d.opts.Config.PrivateKey.PublicKey() }
func (d *fakeDevice) ListenPort() int     { return d.opts.Config.ListenPort }

func (d *fakeDevice) SetPeer(p wg.Peer) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ops = append(d.ops, "set "+p.PublicKey.String()+" "+p.Endpoint)
	d.peers[p.PublicKey] = p
	return nil
}

func (d *fakeDevice) RemovePeer(k wg.Key) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ops = append(d.ops, "remove "+k.String())
	delete(d.peers, k)
	return nil
}

func (d *fakeDevice) Peers() ([]wg.PeerStats, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []wg.PeerStats
	for _, p := range d.peers {
		out = append(out, wg.PeerStats{PublicKey: p.PublicKey, Endpoint: p.Endpoint, AllowedIPs: p.AllowedIPs,
			LastHandshake: time.Unix(1700000000, 0), RxBytes: 10, TxBytes: 20})
	}
	return out, nil
}

func (d *fakeDevice) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	select {
	case <-d.closed:
	default:
		d.ops = append(d.ops, "close")
		close(d.closed)
	}
	return nil
}

func (d *fakeDevice) opLog() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.ops...)
}
