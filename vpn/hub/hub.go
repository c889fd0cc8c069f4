// Package hub is devenv's VPN hub: a small self-hosted server that joins
// every developer's device into one WireGuard virtual LAN, hub and spoke.
// It owns users and their roles, one-time invites, enrolled devices and
// their addresses (in an embedded bbolt store), the hub's own WireGuard
// device, and the push of peer changes to devices by long-polling.
//
// It keeps the hash-chained audit log, and serves the admin socket,
// backups and the doctor of its store. The hub's other half, production
// access (package accesshub), plugs in as an Extension (extension.go)
// and shares the store and the audit log; without one this is a pure LAN
// hub.
//
// Devices talk to the hub over HTTPS (see package hubapi); the hub machine's
// administrator talks to the running hub over a unix socket in the data
// directory (see AdminClient).
package hub

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/internal/clock"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/wg"
)

// Defaults of Options.
const (
	DefaultListen       = ":8443"
	DefaultWGListenPort = 51820
	// AnyPort as Options.WGListenPort binds any free UDP port; WGPort
	// tells which once Ready is closed.
	AnyPort          = -1
	DefaultInterface = "devenv-hub"
	// DefaultMetricsListen is where `devenv hub serve` serves /metrics
	// unless told otherwise: the hub's host only, never the public API.
	DefaultMetricsListen = "127.0.0.1:9443"
)

// DefaultNetwork is the virtual LAN unless Options.Network says otherwise.
var DefaultNetwork = netip.MustParsePrefix("100.100.0.0/16")

// Names of the files in the data directory besides the certificate.
const (
	storeName  = "hub.db"
	socketName = "admin.sock"
)

// pollTimeout bounds a netmap long-poll.
const pollTimeout = 25 * time.Second

// Options configure a hub.
type Options struct {
	DataDir      string         // required: the store, the certificate and admin.sock live here
	Listen       string         // HTTPS API address; default :8443
	PublicURL    string         // what invites carry, e.g. https://hub.example:8443; default https://HOSTNAME:PORT
	WGListenPort int            // the WireGuard UDP port; default 51820; AnyPort for any
	Endpoint     string         // host:port devices dial for WireGuard (port 0: the bound one); default PublicURL's host and the WireGuard port
	Network      netip.Prefix   // the virtual LAN; default 100.100.0.0/16; the hub takes its first host address
	Advertise    []netip.Prefix // subnets behind the hub that devices route through it
	CertFile     string         // optional, with KeyFile; else a self-signed pair kept in DataDir
	KeyFile      string
	Interface    string // the hub's WireGuard interface name; default devenv-hub
	// NewDevice opens the hub's WireGuard device (wg.Open, or a fake in
	// tests); required by Serve.
	NewDevice func(wg.Config) (wg.Device, error)
	// EnableForwarding turns on the kernel's IPv4/IPv6 forwarding when Serve
	// starts, so the hub routes between devices.
	EnableForwarding bool
	Logger           *slog.Logger // default: discard
	// Clock is the time records are stamped by (and extensions' deadlines
	// run by); nil is clock.Real. Tests move a fake one.
	Clock clock.Clock
	// Webhook, when set, receives Slack-compatible JSON ({"text": "…"}):
	// audit checkpoints, and what extensions notify (Hub.Notify).
	Webhook string
	// Extensions are the hub's other halves, such as production access
	// (package accesshub); none makes a pure LAN hub.
	Extensions []Extension
	// MaxLongPolls bounds the long-polls one device or gateway holds at
	// once (default 16); more are answered 429 with a Retry-After.
	MaxLongPolls int
	// MetricsListen, when set, is the plain-HTTP address of /metrics and
	// /healthz, e.g. 127.0.0.1:9443. The public HTTPS API serves no
	// metrics; the admin socket does too.
	MetricsListen string
	// AuditCheckpointEvery is how often a serving hub logs a checkpoint of
	// its grown audit trail and sends it to the webhook (audit_anchor.go);
	// default DefaultAuditCheckpointEvery.
	AuditCheckpointEvery time.Duration

	pollTimeout             time.Duration    // tests shorten long-polls
	pollHeld                func(key string) // tests learn that a long-poll holds its slot
	authFailures, rotations bucketSpec       // tests stop the buckets' refill
}

// Hub is a hub that has its store, certificate and listeners; Serve runs it.
type Hub struct {
	opts        Options // defaults applied
	log         *slog.Logger
	clock       clock.Clock
	db          *bolt.DB
	cert        tls.Certificate
	fingerprint string
	wgKey       wg.Key
	ready       chan struct{} // closed once Serve has its device and serves the API
	apiLn       net.Listener
	adminLn     net.Listener
	metricsLn   net.Listener // nil unless Options.MetricsListen
	changes     Changes
	metrics     metrics

	polls        pollSlots      // long-polls held by each device and gateway
	authFailures *sourceLimiter // failed authentications by source
	rotations    *sourceLimiter // key rotations by source

	webhook *webhook
	anchors checkpoints // the audit trail's last checkpoint

	// applyMu makes a store commit and its application to the device one
	// step, so the device sees peer changes in commit order.
	applyMu sync.Mutex
	dev     wg.Device // guarded by applyMu; nil unless serving

	serveMu sync.Mutex
	// hubPeer is what every device peers with. With AnyPort its endpoint
	// is known once the device is open: it is set before the API serves,
	// so handlers read it unlocked; others read it through HubPeer.
	hubPeer hubapi.HubPeer          // guarded by serveMu for writes after New
	wgPort  int                     // guarded by serveMu; the device's port, 0 until known
	stop    context.CancelCauseFunc // guarded by serveMu; nil unless serving
	served  chan struct{}           // guarded by serveMu; closed when Serve returns
	closed  bool                    // guarded by serveMu
}

// errShutdown is the cause of cancellation when the hub is closed.
var errShutdown = errors.New("hub is shutting down")

// New opens the hub's store in opts.DataDir (one process at a time), loads
// or generates its certificate and WireGuard key, and binds its listeners.
func New(opts Options) (*Hub, error) {
	opts, err := withDefaults(opts)
	if err != nil {
		return nil, err
	}
	// The directory holds the store, the TLS key and the admin socket:
	// only the hub's user may enter it.
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data directory: %w", err)
	}
	if err := os.Chmod(opts.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("restricting the data directory: %w", err)
	}
	h := &Hub{opts: opts, log: opts.Logger, ready: make(chan struct{}), clock: clock.Or(opts.Clock),
		authFailures: newSourceLimiter("failed authentications", opts.authFailures, true, opts.Logger),
		rotations:    newSourceLimiter("key rotations refused", opts.rotations, false, opts.Logger)}
	if h.db, err = openStore(filepath.Join(opts.DataDir, storeName)); err != nil {
		return nil, err
	}
	h.webhook = newWebhook(opts.Webhook, opts.Logger)
	if err := h.init(); err != nil {
		h.closeListeners()
		h.db.Close()
		return nil, err
	}
	if err := h.attach(); err != nil {
		h.webhook.close()
		h.closeListeners()
		h.db.Close()
		return nil, err
	}
	return h, nil
}

func (h *Hub) init() error {
	var err error
	if h.wgKey, err = loadWGKey(h.db); err != nil {
		return err
	}
	if h.cert, err = loadCertificate(h.opts); err != nil {
		return err
	}
	h.fingerprint = fingerprint(h.cert)
	if h.apiLn, err = net.Listen("tcp", h.opts.Listen); err != nil {
		return fmt.Errorf("listening for the hub API: %w", err)
	}
	if h.opts.PublicURL == "" {
		h.opts.PublicURL = defaultPublicURL(h.apiLn.Addr())
	}
	if h.opts.WGListenPort != AnyPort {
		h.wgPort = h.opts.WGListenPort
	}
	h.hubPeer = h.makeHubPeer()
	if h.adminLn, err = listenAdmin(filepath.Join(h.opts.DataDir, socketName)); err != nil {
		return err
	}
	if h.opts.MetricsListen != "" {
		if h.metricsLn, err = net.Listen("tcp", h.opts.MetricsListen); err != nil {
			return fmt.Errorf("listening for metrics on %s: %w; give another address, or an empty one to serve none", h.opts.MetricsListen, err)
		}
	}
	if err := h.db.Update(assignUserIDs); err != nil {
		return fmt.Errorf("giving users their ids: %w", err)
	}
	return h.db.View(func(tx *bolt.Tx) error {
		h.changes.Advance(version(tx))
		return nil
	})
}

func withDefaults(o Options) (Options, error) {
	if o.DataDir == "" {
		return o, errors.New("hub: Options.DataDir is required")
	}
	if (o.CertFile == "") != (o.KeyFile == "") {
		return o, errors.New("hub: give both a certificate and a key file, or neither")
	}
	if o.Listen == "" {
		o.Listen = DefaultListen
	}
	switch {
	case o.WGListenPort == 0:
		o.WGListenPort = DefaultWGListenPort
	case o.WGListenPort != AnyPort && (o.WGListenPort < 1 || o.WGListenPort > 65535):
		return o, fmt.Errorf("hub: WireGuard port %d is not a port (1-65535, or AnyPort)", o.WGListenPort)
	}
	if o.Interface == "" {
		o.Interface = DefaultInterface
	}
	if !o.Network.IsValid() {
		o.Network = DefaultNetwork
	}
	o.Network = o.Network.Masked()
	if capacity(o.Network) < 1 {
		return o, fmt.Errorf("hub: network %s has no room for devices; use a /30 or larger", o.Network)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.pollTimeout == 0 {
		o.pollTimeout = pollTimeout
	}
	if o.MaxLongPolls <= 0 {
		o.MaxLongPolls = DefaultMaxLongPolls
	}
	if o.authFailures == (bucketSpec{}) {
		o.authFailures = defaultAuthFailures
	}
	if o.rotations == (bucketSpec{}) {
		o.rotations = defaultRotations
	}
	return o, nil
}

func (h *Hub) makeHubPeer() hubapi.HubPeer {
	allowed := []string{h.opts.Network.String()}
	for _, p := range h.opts.Advertise {
		allowed = append(allowed, p.Masked().String())
	}
	endpoint := h.opts.Endpoint
	host, port, err := net.SplitHostPort(endpoint)
	switch {
	case endpoint == "" && h.wgPort != 0:
		endpoint = net.JoinHostPort(hostOf(h.opts.PublicURL), strconv.Itoa(h.wgPort))
	case err == nil && port == "0" && h.wgPort != 0: // port 0 stands for the one bound
		endpoint = net.JoinHostPort(host, strconv.Itoa(h.wgPort))
	case err == nil && port == "0":
		endpoint = "" // not known before the device is open
	}
	return hubapi.HubPeer{
		PublicKey:  h.wgKey.PublicKey().String(),
		Endpoint:   endpoint,
		Address:    single(hubAddress(h.opts.Network)).String(),
		AllowedIPs: allowed,
	}
}

// loadWGKey returns the hub's WireGuard private key, generating it once:
// devices keep its public key, so it must survive restarts.
func loadWGKey(db *bolt.DB) (wg.Key, error) {
	var key wg.Key
	err := db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if raw := meta.Get(keyWGKey); len(raw) == len(key) {
			copy(key[:], raw)
			return nil
		}
		k, err := generateKey()
		if err != nil {
			return err
		}
		key = k
		return meta.Put(keyWGKey, key[:])
	})
	if err != nil {
		return key, fmt.Errorf("loading the hub's WireGuard key: %w", err)
	}
	return key, nil
}

func defaultPublicURL(addr net.Addr) string {
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	_, port, _ := net.SplitHostPort(addr.String())
	return "https://" + net.JoinHostPort(host, port)
}

func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// Fingerprint is the hex SHA-256 of the hub certificate's DER, which
// invites carry and clients pin.
func (h *Hub) Fingerprint() string { return h.fingerprint }

// Addr is the address the HTTPS API listens on.
func (h *Hub) Addr() net.Addr { return h.apiLn.Addr() }

// MetricsAddr is the address /metrics is served on, nil when none.
func (h *Hub) MetricsAddr() net.Addr {
	if h.metricsLn == nil {
		return nil
	}
	return h.metricsLn.Addr()
}

// PublicURL is the URL invites carry.
func (h *Hub) PublicURL() string { return h.opts.PublicURL }

// HubPeer is the peer every device configures for the hub. With AnyPort
// its endpoint is known once Ready is closed.
func (h *Hub) HubPeer() hubapi.HubPeer {
	h.serveMu.Lock()
	defer h.serveMu.Unlock()
	return h.hubPeer
}

// WGPort is the hub's WireGuard UDP port: the one its device bound, known
// once Ready is closed (0 before, with AnyPort).
func (h *Hub) WGPort() int {
	h.serveMu.Lock()
	defer h.serveMu.Unlock()
	return h.wgPort
}

// Ready is closed once Serve has opened the WireGuard device and serves
// the API; it stays open if Serve fails before.
func (h *Hub) Ready() <-chan struct{} { return h.ready }

// Close stops Serve if it runs and releases the store and listeners.
func (h *Hub) Close() error {
	h.serveMu.Lock()
	stop, served, closed := h.stop, h.served, h.closed
	h.closed = true
	h.serveMu.Unlock()
	if closed {
		return nil
	}
	if stop != nil {
		stop(errShutdown)
		<-served
	}
	h.detach()
	h.webhook.close()
	h.closeListeners()
	return h.db.Close()
}

func (h *Hub) closeListeners() {
	if h.apiLn != nil {
		h.apiLn.Close()
	}
	if h.adminLn != nil {
		h.adminLn.Close()
	}
	if h.metricsLn != nil {
		h.metricsLn.Close()
	}
}
