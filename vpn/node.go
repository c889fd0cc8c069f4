package vpn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/wg"
)

// Key is a WireGuard key.
type Key = wg.Key

// InterfaceName is the name of the node's network interface.
const InterfaceName = "devenv0"

// hubKeepalive keeps the NAT mapping towards the hub open.
const hubKeepalive = 25 * time.Second

var (
	// ErrRevoked means an admin revoked this device: the node stopped and
	// the device must join again with a new invite.
	ErrRevoked = errors.New("an admin revoked this device; run devenv vpn leave, then join again with a new invite")
	// ErrNeedsRoot means a system interface was asked for without root.
	ErrNeedsRoot = errors.New("creating the WireGuard interface needs root (and /dev/net/tun); " +
		"run it with sudo, or use devenv vpn up --userspace")
	// errDown is the cause a node stops with when asked to through its
	// control socket.
	errDown = errors.New("stopped by devenv vpn down")
)

// RunOptions says how to run a node.
type RunOptions struct {
	// Backend chooses the device; "" tries the kernel, then wireguard-go on
	// a TUN device.
	Backend wg.Backend
	// Userspace runs the device on netstack: no root, no TUN, no routes;
	// reach the network through SOCKSAddr or Forward.
	Userspace bool
	// Interface names the network interface. By default it is
	// InterfaceName, or the first of devenv1…devenv9 that is free when
	// another device on this host holds it. The userspace backend's
	// control socket for the wg tool takes this name.
	Interface string
	// SOCKSAddr, with Userspace, serves a SOCKS5 proxy into the network
	// here, e.g. 127.0.0.1:1080.
	SOCKSAddr string
	// NewDevice opens the device; default wg.Open.
	NewDevice func(wg.Options) (wg.Device, error)
	// OnEvent, if set, receives the node's events, one at a time.
	OnEvent func(Event)
}

// Check tells options that cannot work before anything starts: a system
// interface without root, or a SOCKS5 proxy without a userspace device.
func (o RunOptions) Check() error {
	if o.SOCKSAddr != "" && !o.Userspace {
		return errors.New("--socks needs --userspace: with a system interface, programs reach the network directly")
	}
	if !o.Userspace && o.NewDevice == nil && o.Backend != wg.BackendNetstack && os.Geteuid() > 0 {
		return ErrNeedsRoot
	}
	return nil
}

// Node is this machine's member of the network: its device, kept in step
// with the hub, and the control socket that status, down and forward use.
type Node struct {
	dir   string
	key   Key
	retry backoff

	mu       sync.Mutex
	st       State           // guarded by mu; NetMap and Hub follow the hub
	peers    []hubapi.Device // guarded by mu; the other devices, for status
	dev      wg.Device       // guarded by mu; nil until Run opened it
	hubErr   error           // guarded by mu; last long-poll failure, nil when answering
	socks    string          // guarded by mu; address of the SOCKS5 proxy
	forwards []PortForward   // guarded by mu
	emitMu   sync.Mutex      // serializes OnEvent
	onEvent  func(Event)     // set by Run before anything runs
	stop     context.CancelCauseFunc
}

// NewNode loads the node's key and state from dir ("" for the default).
func NewNode(dir string) (*Node, error) {
	dir, err := resolveDir(dir)
	if err != nil {
		return nil, err
	}
	st, err := LoadState(dir)
	if err != nil {
		return nil, err
	}
	key, err := loadKey(dir)
	if err != nil {
		return nil, err
	}
	return &Node{dir: dir, key: key, st: st, retry: defaultBackoff}, nil
}

// Run brings the device up, serves the control socket and follows the hub
// until ctx ends, devenv vpn down asks it to stop (nil), or the device is
// revoked (ErrRevoked). It reconnects to the hub by itself.
func (n *Node) Run(ctx context.Context, o RunOptions) error {
	if err := o.Check(); err != nil {
		return err
	}
	if n.state().Revoked {
		return ErrRevoked
	}
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	n.stop, n.onEvent = stop, o.OnEvent
	ctl, err := listenControl(n.dir)
	if err != nil {
		return err
	}
	defer ctl.Close()
	dev, err := n.openDevice(o)
	if err != nil {
		return err
	}
	defer dev.Close()
	if o.SOCKSAddr != "" {
		if err := n.serveSOCKS(ctx, dev, o.SOCKSAddr); err != nil {
			return err
		}
	}
	go n.serveControl(ctx, ctl)
	n.emit(EventUp, "%s is up at %s (%s), hub %s", dev.Name(), n.state().Address.Addr(), dev.Backend(), n.state().HubURL)
	err = n.follow(ctx)
	n.emit(EventDown, "%s is down", dev.Name())
	if errors.Is(err, errDown) {
		return nil
	}
	return err
}

// openNamed opens the device named iface, or when iface is "" under the
// first free default name.
func openNamed(open func(wg.Options) (wg.Device, error), opts wg.Options, iface string) (wg.Device, error) {
	if iface != "" {
		opts.Config.Name = iface
		return open(opts)
	}
	var err error
	for i := range 10 {
		opts.Config.Name = InterfaceName
		if i > 0 {
			opts.Config.Name = fmt.Sprintf("devenv%d", i)
		}
		var dev wg.Device
		if dev, err = open(opts); !errors.Is(err, wg.ErrInUse) {
			return dev, err
		}
	}
	return nil, err
}

// openDevice opens the device with our address and routes and sets the hub
// as its one peer.
func (n *Node) openDevice(o RunOptions) (wg.Device, error) {
	st := n.state()
	hub, err := hubPeer(st.Hub, st.Network)
	if err != nil {
		return nil, err
	}
	opts := wg.Options{Backend: o.Backend, Config: wg.Config{
		PrivateKey: n.key, Address: st.Address, Routes: hub.AllowedIPs,
	}}
	if o.Userspace {
		opts.Backend = wg.BackendNetstack
	}
	open := o.NewDevice
	if open == nil {
		open = wg.Open
	}
	dev, err := openNamed(open, opts, o.Interface)
	if err != nil {
		return nil, deviceError(err)
	}
	if err := dev.SetPeer(hub); err != nil {
		dev.Close()
		return nil, fmt.Errorf("adding the hub as a peer: %w", err)
	}
	n.mu.Lock()
	n.dev = dev
	n.mu.Unlock()
	return dev, nil
}

// deviceError explains a device that cannot be made.
func deviceError(err error) error {
	if errors.Is(err, wg.ErrNoTUN) {
		return fmt.Errorf("cannot create the WireGuard interface (%w); run it as root with /dev/net/tun, "+
			"or use devenv vpn up --userspace", err)
	}
	return fmt.Errorf("opening the WireGuard device: %w", err)
}

// hubPeer is the device's one peer: the hub, for the network and the
// subnets it advertises.
func hubPeer(h hubapi.HubPeer, network netip.Prefix) (wg.Peer, error) {
	k, err := wgtypes.ParseKey(h.PublicKey)
	if err != nil {
		return wg.Peer{}, fmt.Errorf("the hub's public key %q: %w", h.PublicKey, err)
	}
	p := wg.Peer{PublicKey: k, Endpoint: h.Endpoint, Keepalive: hubKeepalive}
	for _, s := range h.AllowedIPs {
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			return wg.Peer{}, fmt.Errorf("the hub's allowed IPs: %w", err)
		}
		p.AllowedIPs = append(p.AllowedIPs, pfx.Masked())
	}
	if len(p.AllowedIPs) == 0 && network.IsValid() {
		p.AllowedIPs = []netip.Prefix{network.Masked()}
	}
	return p, nil
}

func (n *Node) state() State {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.st
}

func (n *Node) emit(kind EventKind, format string, args ...any) {
	if n.onEvent == nil {
		return
	}
	n.emitMu.Lock()
	defer n.emitMu.Unlock()
	n.onEvent(Event{Time: time.Now(), Kind: kind, Message: fmt.Sprintf(format, args...)})
}

// dial connects through the device: its own stack for netstack, the host's
// routes (which lead into the interface) otherwise.
func dial(dev wg.Device) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if ns, ok := dev.(wg.NetstackDevice); ok {
		return ns.DialContext
	}
	var d net.Dialer
	return d.DialContext
}
