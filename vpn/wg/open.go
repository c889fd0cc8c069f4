package wg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.zx2c4.com/wireguard/device"
)

// DefaultMTU is the MTU of a device whose Config says 0.
const DefaultMTU = 1420

var (
	// ErrNoTUN means no TUN device could be made: not root, or no
	// /dev/net/tun. The netstack backend needs neither.
	ErrNoTUN = errors.New("no TUN device")
	// ErrNoKernel means the kernel has no WireGuard module.
	ErrNoKernel = errors.New("no kernel WireGuard")
	// ErrUnsupported means the backend is not implemented on this system.
	ErrUnsupported = errors.New("not supported on this system")
	// ErrInUse means the interface name is taken: a network interface of
	// that name exists, or another WireGuard device on this host (in any
	// network namespace) serves the control socket of that name.
	ErrInUse = errors.New("interface name in use")
)

// Options says which device Open makes.
type Options struct {
	Config Config
	// Backend "" tries the kernel, then wireguard-go on a TUN device.
	Backend Backend
	// AllowNetstack lets Backend "" fall back to netstack when no TUN
	// device can be made (not root); the caller then reaches the network
	// through the device's Dial methods or ServeSOCKS5, not the system's
	// routes.
	AllowNetstack bool
	// Log, if set, receives wireguard-go's verbose log.
	Log func(format string, args ...any)
}

// Open makes, configures and brings up a device with no peers. Devices
// that use the host network (kernel, userspace) live in the network
// namespace of the thread that calls Open, and so do their UDP sockets.
func Open(opts Options) (Device, error) {
	c := opts.Config
	if c.MTU == 0 {
		c.MTU = DefaultMTU
	}
	if c.PrivateKey == (Key{}) {
		return nil, errors.New("opening WireGuard device: no private key")
	}
	if !c.Address.IsValid() {
		return nil, errors.New("opening WireGuard device: no address")
	}
	if c.Name == "" && opts.Backend != BackendNetstack {
		return nil, errors.New("opening WireGuard device: no interface name")
	}
	if opts.Backend != BackendNetstack {
		if err := nameFree(c.Name); err != nil {
			return nil, err
		}
	}
	log := newLogger(opts.Log)
	switch opts.Backend {
	case BackendKernel:
		return openKernel(c)
	case BackendUserspace:
		return openUserspace(c, log)
	case BackendNetstack:
		return openNetstack(c, log)
	case "":
	default:
		return nil, fmt.Errorf("opening WireGuard device: unknown backend %q", opts.Backend)
	}
	if d, err := openKernel(c); err == nil {
		return d, nil
	}
	d, err := openUserspace(c, log)
	if err == nil {
		return d, nil
	}
	if opts.AllowNetstack && errors.Is(err, ErrNoTUN) {
		return openNetstack(c, log)
	}
	return nil, err
}

// OpenFirstFree opens a device like Open under the first of names that is
// not in use, so that two devices on one host (two nodes, a node and a
// hub) do not fight over an interface or its control socket. The name in
// opts.Config is ignored; the error of the last name is returned when
// every one is taken.
func OpenFirstFree(opts Options, names ...string) (Device, error) {
	err := fmt.Errorf("opening WireGuard device: %w: no name to try", ErrInUse)
	for _, n := range names {
		opts.Config.Name = n
		var d Device
		if d, err = Open(opts); !errors.Is(err, ErrInUse) {
			return d, err
		}
	}
	return nil, err
}

func newLogger(logf func(string, ...any)) *device.Logger {
	if logf == nil {
		return device.NewLogger(device.LogLevelSilent, "")
	}
	return &device.Logger{Verbosef: logf, Errorf: logf}
}

// resolveTimeout bounds the lookup of a peer's endpoint host name.
const resolveTimeout = 10 * time.Second

// resolveEndpoint turns "host:port" into an address; "" is the zero value.
func resolveEndpoint(s string) (netip.AddrPort, error) {
	if s == "" {
		return netip.AddrPort{}, nil
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap, nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("peer endpoint %q: %w", s, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
	defer cancel()
	ap, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ap) == 0 {
		return netip.AddrPort{}, fmt.Errorf("resolving peer endpoint %q: %w", s, err)
	}
	p, err := net.DefaultResolver.LookupPort(ctx, "udp", port)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("peer endpoint %q: %w", s, err)
	}
	return netip.AddrPortFrom(ap[0].Unmap(), uint16(p)), nil
}

// goDevice is a wireguard-go device configured in process through the UAPI
// text protocol; the userspace and netstack backends are one.
type goDevice struct {
	backend Backend
	name    string
	pub     Key
	dev     *device.Device
	port    int // the UDP port, known once configure has brought it up

	closeOnce sync.Once
	closers   []func() error // run in order by Close; set up before use
	closeErr  error
}

func (d *goDevice) Backend() Backend { return d.backend }
func (d *goDevice) Name() string     { return d.name }
func (d *goDevice) PublicKey() Key   { return d.pub }
func (d *goDevice) ListenPort() int  { return d.port }

func (d *goDevice) SetPeer(p Peer) error {
	ep, err := resolveEndpoint(p.Endpoint)
	if err != nil {
		return fmt.Errorf("setting peer %s on %s: %w", p.PublicKey, d.name, err)
	}
	if err := d.dev.IpcSet(setPeerText(p, ep)); err != nil {
		return fmt.Errorf("setting peer %s on %s: %w", p.PublicKey, d.name, err)
	}
	return nil
}

func (d *goDevice) RemovePeer(k Key) error {
	if err := d.dev.IpcSet(removePeerText(k)); err != nil {
		return fmt.Errorf("removing peer %s from %s: %w", k, d.name, err)
	}
	return nil
}

func (d *goDevice) Peers() ([]PeerStats, error) {
	text, err := d.dev.IpcGet()
	if err != nil {
		return nil, fmt.Errorf("reading peers of %s: %w", d.name, err)
	}
	return parsePeers(text)
}

// Close tears the device down; later calls return the first result.
func (d *goDevice) Close() error {
	d.closeOnce.Do(func() {
		var errs []error
		for _, f := range d.closers {
			errs = append(errs, f())
		}
		d.closeErr = errors.Join(errs...)
	})
	return d.closeErr
}

// configure sets the device's key and port and brings it up, which opens
// its UDP sockets.
func (d *goDevice) configure(c Config) error {
	if err := d.dev.IpcSet(deviceConfigText(c)); err != nil {
		return fmt.Errorf("configuring %s: %w", d.name, err)
	}
	if err := d.dev.Up(); err != nil {
		return fmt.Errorf("bringing %s up: %w", d.name, err)
	}
	text, err := d.dev.IpcGet()
	if err != nil {
		return fmt.Errorf("reading the port of %s: %w", d.name, err)
	}
	d.port = parseListenPort(text)
	return nil
}
