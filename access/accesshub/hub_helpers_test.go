package accesshub

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
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/internal/clock"
	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/wg"
)

// testOptions are what a test sets of the hub's options and the access
// half's.
type testOptions struct {
	DataDir       string // default: a fresh directory
	Clock         clock.Clock
	Logger        *slog.Logger
	Webhook       string
	MaxLongPolls  int
	RequestWindow time.Duration
	pollTimeout   time.Duration
	pollHeld      func(key string)
}

// testHub is a hub with its access half, serving on 127.0.0.1 with a
// device that carries nothing.
type testHub struct {
	*hub.Hub
	access *Access
	opts   testOptions // DataDir set
	client *apiClient
	admin  *AdminClient
}

// startHub runs a real hub (HTTPS on 127.0.0.1:0, admin socket) with the
// access half until the test ends.
func startHub(t *testing.T, o testOptions) *testHub {
	t.Helper()
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	access := New(Options{RequestWindow: o.RequestWindow, pollTimeout: o.pollTimeout, pollHeld: o.pollHeld})
	h, err := hub.New(hub.Options{DataDir: o.DataDir, Listen: "127.0.0.1:0", Clock: o.Clock, Logger: o.Logger,
		Webhook: o.Webhook, MaxLongPolls: o.MaxLongPolls, Extensions: []hub.Extension{access},
		NewDevice: func(c wg.Config) (wg.Device, error) { return quietDevice{c}, nil }})
	if err != nil {
		t.Fatalf("starting the hub: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- h.Serve(context.Background()) }()
	th := &testHub{Hub: h, access: access, opts: o, client: newAPIClient(h.Addr().String(), h.Fingerprint()),
		admin: NewAdminClient(o.DataDir)}
	t.Cleanup(func() {
		// Idle client connections would hold up the server's graceful stop.
		th.client.http.CloseIdleConnections()
		h.Close()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	// The hub serves once its admin socket answers.
	testutil.EventuallyNoError(t, "the hub serves", func() error { _, err := th.admin.Users(t.Context()); return err })
	return th
}

// quietDevice is a WireGuard device that carries nothing.
type quietDevice struct{ cfg wg.Config }

func (d quietDevice) Backend() wg.Backend            { return "test" }
func (d quietDevice) Name() string                   { return d.cfg.Name }
func (d quietDevice) PublicKey() wg.Key              { return d.cfg.PrivateKey.PublicKey() }
func (d quietDevice) SetPeer(wg.Peer) error          { return nil }
func (d quietDevice) RemovePeer(wg.Key) error        { return nil }
func (d quietDevice) Peers() ([]wg.PeerStats, error) { return nil, nil }
func (d quietDevice) Close() error                   { return nil }
func (d quietDevice) ListenPort() int                { return d.cfg.ListenPort }

// enroll enrolls a device with a fresh key and fails the test on error.
func (th *testHub) enroll(t *testing.T, secret, name string) hubapi.EnrollResponse {
	t.Helper()
	var resp hubapi.EnrollResponse
	req := hubapi.EnrollRequest{Secret: secret, Name: name, PublicKey: newPublicKey(t)}
	if err := th.client.do(t.Context(), http.MethodPost, hubapi.PathEnroll, "", req, &resp); err != nil {
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

// do sends a request; a non-2xx answer comes back as a *hub.Error.
func (c *apiClient) do(ctx context.Context, method, path, token string, in, out any) error {
	status, _, raw, err := c.sendFull(ctx, method, path, token, in)
	if err != nil {
		return err
	}
	if err := errorOf(status, raw); err != nil {
		return err
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// errorOf is the *hub.Error of a non-2xx answer; nil for others.
func errorOf(status int, raw []byte) error {
	if status < 300 {
		return nil
	}
	var e hubapi.Error
	if json.Unmarshal(raw, &e) != nil || e.Code == "" {
		return fmt.Errorf("hub answered %d: %s", status, raw)
	}
	return &hub.Error{Status: status, Code: e.Code, Message: e.Message}
}

func (c *apiClient) sendFull(ctx context.Context, method, path, token string, in any) (int, http.Header, []byte, error) {
	var body io.Reader
	if in != nil {
		raw, _ := json.Marshal(in)
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return 0, nil, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw, err
}

// errCode is the hub error code of err, or "" when it has none.
func errCode(err error) string {
	var e *hub.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// verifyWhole verifies a whole trail held in memory: from record 1.
func verifyWhole(recs []hubapi.AuditRecord) (int, error) {
	v := hubapi.NewChainVerifier(1, 0, nil)
	for _, r := range recs {
		if err := v.Add(r); err != nil {
			return 0, err
		}
	}
	return v.End()
}

// webhookReceiver is a Slack-compatible receiver that keeps every text.
type webhookReceiver struct {
	url   string
	texts chan string
}

func startWebhookReceiver(t *testing.T) *webhookReceiver {
	t.Helper()
	w := &webhookReceiver{texts: make(chan string, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var body struct {
			Text string `json:"text"`
		}
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&body) != nil {
			t.Errorf("webhook got %s with %s", r.Method, r.Header.Get("Content-Type"))
		}
		w.texts <- body.Text
	}))
	t.Cleanup(srv.Close)
	w.url = srv.URL
	return w
}

func (w *webhookReceiver) next(t *testing.T) string {
	t.Helper()
	return testutil.Receive(t, "a webhook notification", w.texts)
}
