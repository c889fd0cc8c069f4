package hub

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"testing"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/wg"
)

// fakeDevice is a wg.Device that records its peers and every change.
type fakeDevice struct {
	cfg wg.Config

	mu     sync.Mutex
	peers  map[wg.Key]wg.Peer // guarded by mu
	ops    []string           // guarded by mu; "set KEY" and "remove KEY" in order
	closed bool               // guarded by mu
}

func newFakeDevice(cfg wg.Config) *fakeDevice {
	return &fakeDevice{cfg: cfg, peers: map[wg.Key]wg.Peer{}}
}

func (f *fakeDevice) Backend() wg.Backend { return "fake" }
func (f *fakeDevice) Name() string        { return f.cfg.Name }
func (f *fakeDevice) PublicKey() wg.Key   { return f.cfg.PrivateKey.PublicKey() }
func (f *fakeDevice) ListenPort() int     { return f.cfg.ListenPort }

func (f *fakeDevice) SetPeer(p wg.Peer) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.peers[p.PublicKey] = p
	f.ops = append(f.ops, "set "+p.PublicKey.String())
	return nil
}

func (f *fakeDevice) RemovePeer(k wg.Key) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.peers, k)
	f.ops = append(f.ops, "remove "+k.String())
	return nil
}

func (f *fakeDevice) Peers() ([]wg.PeerStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []wg.PeerStats
	for _, p := range f.peers {
		out = append(out, wg.PeerStats{PublicKey: p.PublicKey, AllowedIPs: p.AllowedIPs})
	}
	return out, nil
}

func (f *fakeDevice) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

// peer returns the device's peer for a base64 public key.
func (f *fakeDevice) peer(pub string) (wg.Peer, bool) {
	k, _ := wgtypes.ParseKey(pub)
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.peers[k]
	return p, ok
}

func (f *fakeDevice) numPeers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.peers)
}

// testHub is a hub serving on 127.0.0.1 with a fake device.
type testHub struct {
	*Hub
	dev    *fakeDevice
	client *apiClient
	admin  *AdminClient
}

// startHub runs a real hub (HTTPS on 127.0.0.1:0, admin socket) until the
// test ends. opts.DataDir defaults to a fresh directory.
func startHub(t *testing.T, opts Options) *testHub {
	t.Helper()
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	opts.Listen = "127.0.0.1:0"
	devc := make(chan *fakeDevice, 1)
	opts.NewDevice = func(cfg wg.Config) (wg.Device, error) {
		d := newFakeDevice(cfg)
		devc <- d
		return d, nil
	}
	h, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- h.Serve(context.Background()) }()
	th := &testHub{Hub: h, client: newAPIClient(h.Addr().String(), h.Fingerprint()), admin: NewAdminClient(opts.DataDir)}
	t.Cleanup(func() {
		// Idle client connections would hold up the server's graceful stop.
		th.client.http.CloseIdleConnections()
		h.Close()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	select {
	case <-h.Ready():
		th.dev = <-devc // sent before the hub is ready
	case err := <-served:
		t.Fatalf("Serve returned early: %v", err)
	}
	return th
}

// invite creates a user (once) and an invite for them, returning the secret.
func (th *testHub) invite(t *testing.T, user string, opts InviteOptions) string {
	t.Helper()
	ctx := t.Context()
	if _, err := th.admin.AddUser(ctx, user, hubapi.RoleDeveloper); err != nil && !errors.Is(err, ErrUserExists) {
		t.Fatalf("AddUser: %v", err)
	}
	opts.User = user
	created, err := th.admin.CreateInvite(ctx, opts)
	if err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	inv, err := hubapi.ParseInvite(created.Invite)
	if err != nil {
		t.Fatalf("ParseInvite: %v", err)
	}
	if inv.Fingerprint != th.Fingerprint() {
		t.Fatalf("invite fingerprint %s, hub %s", inv.Fingerprint, th.Fingerprint())
	}
	return inv.Secret
}

// enroll enrolls a device with a fresh key and fails the test on error.
func (th *testHub) enroll(t *testing.T, secret, name string) hubapi.EnrollResponse {
	t.Helper()
	resp, err := th.client.enroll(t.Context(), secret, name, newPublicKey(t))
	if err != nil {
		t.Fatalf("enroll %s: %v", name, err)
	}
	return resp
}

func newPublicKey(t testing.TB) string {
	k, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k.PublicKey().String()
}

// apiClient speaks the HTTPS API with the standard library, pinning the
// hub's certificate by fingerprint as real clients do.
type apiClient struct {
	base string
	http *http.Client
}

func newAPIClient(addr, fp string) *apiClient {
	tr := &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true, // the fingerprint is checked instead
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			sum := sha256.Sum256(raw[0])
			if hex.EncodeToString(sum[:]) != fp {
				return errors.New("hub certificate fingerprint mismatch")
			}
			return nil
		},
	}}
	return &apiClient{base: "https://" + addr, http: &http.Client{Transport: tr}}
}

// do sends a request; a non-2xx answer comes back as an *Error.
func (c *apiClient) do(ctx context.Context, method, path, token string, in, out any) error {
	var body io.Reader
	if in != nil {
		raw, _ := json.Marshal(in)
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return errorFromBody(resp.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

func (c *apiClient) enroll(ctx context.Context, secret, name, pub string) (hubapi.EnrollResponse, error) {
	var resp hubapi.EnrollResponse
	err := c.do(ctx, http.MethodPost, hubapi.PathEnroll, "", hubapi.EnrollRequest{Secret: secret, Name: name, PublicKey: pub}, &resp)
	return resp, err
}

func (c *apiClient) netMap(ctx context.Context, token string, since uint64) (hubapi.NetMap, error) {
	var nm hubapi.NetMap
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("%s?since=%d", hubapi.PathNetMap, since), token, nil, &nm)
	return nm, err
}

// errCode is the hub error code of err, or "" when it has none.
func errCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func TestAnyPortBindsAFreePortAndReportsIt(t *testing.T) {
	h, err := New(Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0", PublicURL: "https://hub.example:8443",
		WGListenPort: AnyPort, NewDevice: func(c wg.Config) (wg.Device, error) {
			return wg.Open(wg.Options{Config: c, Backend: wg.BackendNetstack})
		}})
	if err != nil {
		t.Fatal(err)
	}
	if h.WGPort() != 0 || h.HubPeer().Endpoint != "" {
		t.Fatalf("before serving: port %d, endpoint %q; want neither known", h.WGPort(), h.HubPeer().Endpoint)
	}
	served := make(chan error, 1)
	go func() { served <- h.Serve(t.Context()) }()
	t.Cleanup(func() { h.Close(); <-served })
	select {
	case <-h.Ready():
	case err := <-served:
		t.Fatalf("Serve returned before it was ready: %v", err)
	}
	port := h.WGPort()
	if port == 0 {
		t.Fatal("WGPort is 0 once ready")
	}
	want := fmt.Sprintf("hub.example:%d", port)
	if got := h.HubPeer().Endpoint; got != want {
		t.Errorf("HubPeer endpoint %q, want %q", got, want)
	}
	if got := h.Info().Endpoint; got != want {
		t.Errorf("Info endpoint %q, want %q", got, want)
	}
	h.opts.Endpoint = "127.0.0.1:0"
	if got, want := h.makeHubPeer().Endpoint, fmt.Sprintf("127.0.0.1:%d", port); got != want {
		t.Errorf("endpoint 127.0.0.1:0 made %q, want %q", got, want)
	}
	if c, err := net.ListenUDP("udp4", &net.UDPAddr{Port: port}); err == nil {
		c.Close()
		t.Errorf("UDP port %d is free: the hub's device does not hold it", port)
	}
}

func TestWGListenPortOutOfRange(t *testing.T) {
	for _, p := range []int{-2, 65536} {
		if _, err := New(Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0", WGListenPort: p}); err == nil {
			t.Errorf("New with WireGuard port %d succeeded", p)
		}
	}
}
