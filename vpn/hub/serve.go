package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/vpn/wg"
)

// Serve opens the hub's WireGuard device, adds every live device to it as
// a peer, and serves the HTTPS API and the admin socket until ctx ends or
// Close is called. It returns nil when stopped that way. A hub serves once.
func (h *Hub) Serve(ctx context.Context) error {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(errShutdown)
	if err := h.startServing(stop); err != nil {
		return err
	}
	defer h.finishServing()
	defer h.runCheckpoints(ctx)()
	if h.opts.EnableForwarding {
		h.enableForwarding()
	}
	if err := h.openDevice(); err != nil {
		return err
	}
	defer h.closeDevice()
	return h.serveHTTP(ctx, stop)
}

func (h *Hub) serveHTTP(ctx context.Context, stop context.CancelCauseFunc) error {
	errLog := slog.NewLogLogger(h.log.Handler(), slog.LevelDebug)
	base := func(net.Listener) context.Context { return ctx }
	api := &http.Server{
		Handler:           h.apiHandler(),
		TLSConfig:         h.tlsConfig(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       base,
		ErrorLog:          errLog,
	}
	admin := &http.Server{Handler: h.adminHandler(), ReadHeaderTimeout: 10 * time.Second, BaseContext: base, ErrorLog: errLog}
	metrics := &http.Server{Handler: h.metricsHandler(), ReadHeaderTimeout: 10 * time.Second, BaseContext: base, ErrorLog: errLog}
	errc := make(chan error, 3)
	go func() { errc <- api.ServeTLS(h.apiLn, "", "") }()
	go func() { errc <- admin.Serve(h.adminLn) }()
	metricsAddr := "none"
	if h.metricsLn != nil {
		metricsAddr = h.metricsLn.Addr().String()
		go func() { errc <- metrics.Serve(h.metricsLn) }()
	}
	go h.sweepLimits(ctx)
	h.log.Info("hub serving", "api", h.apiLn.Addr().String(), "public_url", h.opts.PublicURL,
		"fingerprint", h.fingerprint, "network", h.opts.Network.String(), "wg_endpoint", h.hubPeer.Endpoint,
		"wg_port", h.WGPort(), "metrics", metricsAddr)
	close(h.ready)
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		stop(err)
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	// Long-polls end with ctx; what is still open after the grace period
	// (a client that never sent a request) is cut.
	if api.Shutdown(shutCtx) != nil {
		api.Close()
	}
	if admin.Shutdown(shutCtx) != nil {
		admin.Close()
	}
	if metrics.Shutdown(shutCtx) != nil {
		metrics.Close()
	}
	h.log.Info("hub stopped", "cause", context.Cause(ctx).Error())
	if err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("serving the hub API: %w", err)
	}
	return nil
}

func (h *Hub) startServing(stop context.CancelCauseFunc) error {
	h.serveMu.Lock()
	defer h.serveMu.Unlock()
	if h.closed || h.stop != nil {
		return errors.New("hub: Serve called on a closed hub or twice")
	}
	h.stop, h.served = stop, make(chan struct{})
	return nil
}

func (h *Hub) finishServing() {
	h.serveMu.Lock()
	defer h.serveMu.Unlock()
	close(h.served)
}

// openDevice opens the hub's WireGuard device and re-adds every live
// device as a peer: the store is the truth, the device only mirrors it.
func (h *Hub) openDevice() error {
	if h.opts.NewDevice == nil {
		return errors.New("hub: Options.NewDevice is required to serve")
	}
	hubAddr := hubAddress(h.opts.Network)
	dev, err := h.opts.NewDevice(wg.Config{
		Name:       h.opts.Interface,
		PrivateKey: h.wgKey,
		ListenPort: max(h.opts.WGListenPort, 0), // AnyPort: 0, any
		Address:    single(hubAddr),
		Routes:     []netip.Prefix{h.opts.Network},
	})
	if err != nil {
		return fmt.Errorf("opening the hub's WireGuard device: %w", err)
	}
	h.learnPort(dev.ListenPort())
	h.applyMu.Lock()
	defer h.applyMu.Unlock()
	h.dev = dev
	var live []deviceRecord
	err = h.db.View(func(tx *bolt.Tx) error {
		live, err = liveDevices(tx)
		return err
	})
	if err != nil {
		return fmt.Errorf("reading devices: %w", err)
	}
	h.applyLocked(peerChanges{set: live})
	h.log.Info("hub device up", "interface", dev.Name(), "backend", string(dev.Backend()), "peers", len(live))
	return nil
}

// learnPort records the port the device bound when told to bind any, and
// the endpoint it makes, before the API serves devices the hub's peer.
func (h *Hub) learnPort(port int) {
	if h.opts.WGListenPort != AnyPort || port == 0 {
		return
	}
	h.serveMu.Lock()
	defer h.serveMu.Unlock()
	h.wgPort = port
	h.hubPeer = h.makeHubPeer()
}

func (h *Hub) closeDevice() {
	h.applyMu.Lock()
	defer h.applyMu.Unlock()
	if err := h.dev.Close(); err != nil {
		h.log.Warn("closing the hub's WireGuard device", "err", err)
	}
	h.dev = nil
}

// enableForwarding lets the kernel route between devices; failing to is
// worth a warning, not a refusal (the admin may manage it elsewhere).
func (h *Hub) enableForwarding() {
	for _, f := range []string{"/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv6/conf/all/forwarding"} {
		if err := os.WriteFile(f, []byte("1\n"), 0o644); err != nil {
			h.log.Warn("cannot enable IP forwarding; devices will not reach each other", "file", f, "err", err)
		}
	}
}

func generateKey() (wg.Key, error) { return wgtypes.GeneratePrivateKey() }
