package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/devenv-dev/devenv/access/proxy"
	"github.com/devenv-dev/devenv/access/proxy/httpproxy"
	"github.com/devenv-dev/devenv/access/proxy/postgres"
	"github.com/devenv-dev/devenv/access/proxy/redis"
	"github.com/devenv-dev/devenv/access/proxy/tcp"
	"github.com/devenv-dev/devenv/internal/clock"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
	"github.com/devenv-dev/devenv/vpn/wg"
)

// Hub is what the gateway needs of the hub; *hubclient.Client is one.
type Hub interface {
	RegisterTargets(ctx context.Context, r hubapi.RegisterTargets) (hubapi.GatewayInfo, error)
	GatewayGrants(ctx context.Context, since uint64) (hubapi.GatewayGrants, error)
	GatewayAudit(ctx context.Context, records []hubapi.AuditRecord) (hubapi.GatewayAuditResult, error)
}

// Options configure a Gateway.
type Options struct {
	Config *Config // from LoadConfig; required
	// Hub is the hub's API; nil is a hubclient for Config.Hub.
	Hub Hub
	// Logger receives what the gateway does; nil discards it.
	Logger *slog.Logger
	// Clock is the time deadlines, the grace and audit records follow;
	// nil is clock.Real. Tests move a fake one instead of waiting.
	Clock clock.Clock

	pollAlive time.Duration   // tests shorten it; 0 is pollAlive
	watched   func(lost bool) // tests learn that a check of the hub's absence is done
}

// Gateway serves a configuration's targets to the holders of active grants.
type Gateway struct {
	cfg   *Config
	hub   Hub
	log   *slog.Logger
	clock clock.Clock
	dev   wg.NetstackDevice
	spool *spool
	// metricsLn serves /metrics; nil unless Config.Metrics. Set by New.
	metricsLn net.Listener

	targets   []*target // in configuration order; target i listens on port FirstTargetPort+i
	pollAlive time.Duration
	watched   func(lost bool)

	ctx    context.Context // ends with the gateway, cause ErrShutdown; parent of every grant's
	cancel context.CancelCauseFunc
	conns  sync.WaitGroup // connections being served
	ending sync.WaitGroup // armed grants whose end is not yet recorded

	closeOnce sync.Once
	closeErr  error
	unlock    func() // releases the state directory

	// registered is closed once the hub has the gateway's targets: its
	// audit records name them, and the hub attributes a record only to a
	// target the gateway registered.
	registered     chan struct{}
	registeredOnce sync.Once

	mu           sync.Mutex
	grants       map[string]*activeGrant     // guarded by mu; by request ID
	byClient     map[netip.Addr]*activeGrant // guarded by mu; by client tunnel address
	failedClosed bool                        // guarded by mu; the hub was away longer than the grace
	lastContact  time.Time                   // guarded by mu; the hub's last answer
	savedContact time.Time                   // guarded by mu; lastContact as saved in contactFile
	contactMu    sync.Mutex                  // serializes writes of contactFile
	pollStart    time.Time                   // guarded by mu; zero: no long-poll in flight
	name         string                      // guarded by mu; the hub's name for this gateway
}

// New opens the gateway's state, WireGuard device and target listeners.
// Grants saved by an earlier run are enforced again at once; the hub is
// contacted by Run.
func New(o Options) (*Gateway, error) {
	c := o.Config
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	headers, err := c.upstreamHeaders()
	if err != nil {
		return nil, err
	}
	if o.Hub == nil {
		tok, err := c.HubToken()
		if err != nil {
			return nil, err
		}
		o.Hub = hubclient.New(c.Hub.URL, c.Hub.Fingerprint, tok)
	}
	if err := openStateDir(c.StateDir); err != nil {
		return nil, err
	}
	unlock, err := lockStateDir(c.StateDir)
	if err != nil {
		return nil, err
	}
	gw := &Gateway{unlock: unlock, cfg: c, hub: o.Hub, log: o.Logger, clock: clock.Or(o.Clock), pollAlive: o.pollAlive, watched: o.watched, name: "gateway",
		grants: map[string]*activeGrant{}, byClient: map[netip.Addr]*activeGrant{}, registered: make(chan struct{})}
	if gw.pollAlive == 0 {
		gw.pollAlive = pollAlive
	}
	gw.ctx, gw.cancel = context.WithCancelCause(context.Background())
	if err := gw.open(headers); err != nil {
		gw.Close()
		return nil, err
	}
	return gw, nil
}

func (gw *Gateway) open(headers map[string]http.Header) error {
	var err error
	if gw.spool, err = openSpool(gw.cfg.StateDir, gw.log); err != nil {
		return err
	}
	key, err := loadOrCreateKey(gw.cfg.StateDir)
	if err != nil {
		return err
	}
	addr := gw.cfg.GatewayAddress()
	dev, err := wg.Open(wg.Options{Backend: wg.BackendNetstack, Config: wg.Config{
		PrivateKey: key, ListenPort: gw.cfg.WireGuard.ListenPort, Address: netip.PrefixFrom(addr, addr.BitLen()),
	}})
	if err != nil {
		return fmt.Errorf("opening the gateway's WireGuard device: %w", err)
	}
	gw.dev = dev.(wg.NetstackDevice)
	for i, tc := range gw.cfg.Targets {
		t, err := gw.listen(i, tc, headers[tc.Name])
		if err != nil {
			return err
		}
		gw.targets = append(gw.targets, t)
	}
	if gw.cfg.Metrics != "" {
		if err := gw.serveMetrics(gw.cfg.Metrics); err != nil {
			return err
		}
	}
	return gw.restoreGrants()
}

// listen makes the i-th target's handler and its listener on the tunnel.
func (gw *Gateway) listen(i int, tc TargetConfig, header http.Header) (*target, error) {
	t := &target{TargetConfig: tc, addr: gw.cfg.TargetAddress(i)}
	var err error
	switch tc.Protocol {
	case hubapi.ProtocolHTTP:
		t.handler, err = httpproxy.New(httpOptions(tc, header, gw.log.With("target", tc.Name)))
	case hubapi.ProtocolTCP:
		t.handler, err = tcp.New(tcp.Options{Upstream: tc.Upstream})
	case hubapi.ProtocolPostgres:
		var p *postgres.Proxy
		if p, err = tc.postgresProxy(gw.log.With("target", tc.Name)); err == nil {
			if err = checkLoginAtStart(p, tc, gw.log.With("target", tc.Name)); err != nil {
				p.Close()
			} else {
				t.handler = p
			}
		}
	case hubapi.ProtocolRedis:
		var user, password string
		if user, password, err = tc.login(); err == nil {
			l := tc.limits()
			t.handler, err = redis.New(redis.Options{Upstream: tc.Upstream, Username: user, Password: password,
				Logger: gw.log.With("target", tc.Name), MaxCount: l.MaxCount,
				MaxRequestBytes: l.MaxRequestMiB << 20, MaxReplyBytes: l.MaxReplyMiB << 20})
		}
	default:
		err = fmt.Errorf("protocol %s is not supported yet", tc.Protocol)
	}
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", tc.Name, err)
	}
	if t.ln, err = gw.dev.Listen("tcp", t.addr.String()); err != nil {
		closeHandler(t.handler)
		return nil, fmt.Errorf("target %q: listening on %s: %w", tc.Name, t.addr, err)
	}
	return t, nil
}

// httpOptions are the read-only HTTP proxy's options for an http target.
func httpOptions(tc TargetConfig, header http.Header, log *slog.Logger) httpproxy.Options {
	u, _ := url.Parse(tc.Upstream)
	return httpproxy.Options{Upstream: u, Header: header, Logger: log,
		Paths: tc.Paths, GraphQL: tc.GraphQL, AllowHeaders: tc.AllowHeaders}
}

// restoreGrants re-arms the grants an earlier run saved, unless the hub was
// last reached longer than the grace ago; expired ones are dropped by arm.
func (gw *Gateway) restoreGrants() error {
	saved, err := loadGrants(gw.cfg.StateDir)
	if err != nil {
		return err
	}
	if err := gw.restoreContact(len(saved.Grants)); err != nil {
		return err
	}
	for _, g := range saved.Grants {
		gw.arm(g)
	}
	return nil
}

// Run serves until ctx is done: the target listeners, the hub's grant
// stream, the fail-closed watch and audit delivery. It closes the gateway
// when it returns; grants stay saved for the next run.
func (gw *Gateway) Run(ctx context.Context) error {
	defer gw.Close()
	var running sync.WaitGroup
	for _, t := range gw.targets {
		running.Go(func() { gw.accept(t) })
	}
	loops, stop := context.WithCancel(ctx)
	defer stop()
	running.Go(func() { gw.follow(loops) })
	running.Go(func() { gw.watch(loops) })
	running.Go(func() {
		select {
		case <-gw.registered:
			gw.spool.ship(loops, gw.hub.GatewayAudit)
		case <-loops.Done():
		}
	})
	metrics := "none"
	if a := gw.MetricsAddr(); a != nil {
		metrics = a.String()
	}
	gw.log.Info("gateway serving", "address", gw.cfg.GatewayAddress(), "wireguard_port", gw.ListenPort(), "endpoint", gw.Endpoint(),
		"metrics", metrics, "public_key", gw.dev.PublicKey().String(), "targets", len(gw.targets))
	<-ctx.Done()
	stop()
	gw.Close()
	running.Wait()
	return nil
}

// PublicKey is the gateway's WireGuard key.
func (gw *Gateway) PublicKey() wg.Key { return gw.dev.PublicKey() }

// ListenPort is the WireGuard UDP port the gateway bound: the configured
// one, or the one it was given for listen_port: 0.
func (gw *Gateway) ListenPort() int { return gw.dev.ListenPort() }

// Endpoint is the host:port the gateway gives the hub for access tunnels
// to dial: the configured endpoint, its port 0 replaced by ListenPort.
func (gw *Gateway) Endpoint() string {
	host, port, err := net.SplitHostPort(gw.cfg.WireGuard.Endpoint)
	if err != nil || port != "0" {
		return gw.cfg.WireGuard.Endpoint
	}
	return net.JoinHostPort(host, strconv.Itoa(gw.ListenPort()))
}

// MetricsAddr is the address /metrics is served on; nil when none.
func (gw *Gateway) MetricsAddr() net.Addr {
	if gw.metricsLn == nil {
		return nil
	}
	return gw.metricsLn.Addr()
}

// TargetAddress is the tunnel address of a target's listener.
func (gw *Gateway) TargetAddress(name string) (netip.AddrPort, bool) {
	if i := gw.targetIndex(name); i >= 0 {
		return gw.cfg.TargetAddress(i), true
	}
	return netip.AddrPort{}, false
}

func (gw *Gateway) targetIndex(name string) int {
	for i, t := range gw.cfg.Targets {
		if t.Name == name {
			return i
		}
	}
	return -1
}

// Close cuts every connection and closes the listeners, the device and the
// spool. Grants stay saved.
func (gw *Gateway) Close() error {
	gw.closeOnce.Do(func() { gw.closeErr = gw.close() })
	return gw.closeErr
}

func (gw *Gateway) close() error {
	// Under gw.mu, which enforce and countConn hold while they see gw.ctx
	// alive and count a grant or a connection: each count comes before the
	// waits below, or sees the gateway closing and is not taken.
	gw.mu.Lock()
	gw.cancel(ErrShutdown)
	gw.mu.Unlock()
	if gw.spool != nil { // opened: the state directory is the gateway's
		gw.saveContact(0)
	}
	var errs []error
	for _, t := range gw.targets {
		errs = append(errs, t.ln.Close())
		closeHandler(t.handler)
	}
	gw.conns.Wait()
	gw.ending.Wait() // their records go to the spool before it closes
	if gw.dev != nil {
		errs = append(errs, gw.dev.Close())
	}
	if gw.spool != nil {
		gw.spool.close()
	}
	gw.unlock()
	return errors.Join(errs...)
}

func closeHandler(h proxy.Handler) {
	if c, ok := h.(interface{ Close() error }); ok {
		c.Close()
	}
}

// record adds an audit record from this gateway to the spool.
func (gw *Gateway) record(r hubapi.AuditRecord) {
	gw.mu.Lock()
	name := gw.name
	gw.mu.Unlock()
	r.Time = gw.clock.Now().UTC()
	r.Actor = "gateway:" + name
	gw.spool.add(r)
}
