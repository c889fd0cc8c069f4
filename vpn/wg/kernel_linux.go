//go:build linux

package wg

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// kernelDevice is a link of the kernel's WireGuard module, configured
// through wgctrl (netlink).
type kernelDevice struct {
	name   string
	pub    Key
	port   int            // the UDP port the kernel bound
	client *wgctrl.Client // its netlink socket is in the device's namespace
	ns     *netns         // for deleting the link
}

func openKernel(c Config) (Device, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := ip("link", "add", c.Name, "type", "wireguard"); err != nil {
		return nil, fmt.Errorf("creating WireGuard link %s: %w: %w", c.Name, ErrNoKernel, err)
	}
	ns, err := currentNetns()
	if err != nil {
		ip("link", "del", c.Name)
		return nil, err
	}
	d := &kernelDevice{name: c.Name, pub: c.PrivateKey.PublicKey(), ns: ns}
	if d.client, err = wgctrl.New(); err != nil {
		d.Close()
		return nil, fmt.Errorf("opening wgctrl for %s: %w", c.Name, err)
	}
	port := c.ListenPort
	err = d.client.ConfigureDevice(c.Name, wgtypes.Config{PrivateKey: &c.PrivateKey, ListenPort: &port})
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("configuring %s: %w", c.Name, err)
	}
	if err := configureLink(c.Name, c); err != nil {
		d.Close()
		return nil, err
	}
	dev, err := d.client.Device(c.Name)
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("reading the port of %s: %w", c.Name, err)
	}
	d.port = dev.ListenPort
	return d, nil
}

func (d *kernelDevice) Backend() Backend { return BackendKernel }
func (d *kernelDevice) Name() string     { return d.name }
func (d *kernelDevice) PublicKey() Key   { return d.pub }
func (d *kernelDevice) ListenPort() int  { return d.port }

func (d *kernelDevice) SetPeer(p Peer) error {
	ep, err := resolveEndpoint(p.Endpoint)
	if err != nil {
		return fmt.Errorf("setting peer %s on %s: %w", p.PublicKey, d.name, err)
	}
	keepalive := p.Keepalive
	pc := wgtypes.PeerConfig{
		PublicKey:                   p.PublicKey,
		ReplaceAllowedIPs:           true,
		PersistentKeepaliveInterval: &keepalive,
	}
	if ep.IsValid() {
		pc.Endpoint = net.UDPAddrFromAddrPort(ep)
	}
	for _, a := range p.AllowedIPs {
		a = a.Masked()
		pc.AllowedIPs = append(pc.AllowedIPs, net.IPNet{
			IP:   a.Addr().AsSlice(),
			Mask: net.CIDRMask(a.Bits(), a.Addr().BitLen()),
		})
	}
	if err := d.client.ConfigureDevice(d.name, wgtypes.Config{Peers: []wgtypes.PeerConfig{pc}}); err != nil {
		return fmt.Errorf("setting peer %s on %s: %w", p.PublicKey, d.name, err)
	}
	return nil
}

func (d *kernelDevice) RemovePeer(k Key) error {
	err := d.client.ConfigureDevice(d.name, wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: k, Remove: true}}})
	if err != nil {
		return fmt.Errorf("removing peer %s from %s: %w", k, d.name, err)
	}
	return nil
}

func (d *kernelDevice) Peers() ([]PeerStats, error) {
	dev, err := d.client.Device(d.name)
	if err != nil {
		return nil, fmt.Errorf("reading peers of %s: %w", d.name, err)
	}
	stats := make([]PeerStats, 0, len(dev.Peers))
	for _, p := range dev.Peers {
		s := PeerStats{PublicKey: p.PublicKey, RxBytes: p.ReceiveBytes, TxBytes: p.TransmitBytes}
		if p.Endpoint != nil {
			s.Endpoint = p.Endpoint.String()
		}
		if !p.LastHandshakeTime.IsZero() && p.LastHandshakeTime.After(time.Unix(0, 0)) {
			s.LastHandshake = p.LastHandshakeTime
		}
		for _, a := range p.AllowedIPs {
			if pfx, ok := prefixOf(a); ok {
				s.AllowedIPs = append(s.AllowedIPs, pfx)
			}
		}
		stats = append(stats, s)
	}
	return stats, nil
}

func prefixOf(n net.IPNet) (netip.Prefix, bool) {
	addr, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(addr.Unmap(), ones), true
}

// Close deletes the link; a link already gone is done.
func (d *kernelDevice) Close() error {
	var errs []error
	if d.client != nil {
		errs = append(errs, d.client.Close())
		d.client = nil
	}
	if d.ns != nil {
		err := d.ns.do(func() error { return ip("link", "del", d.name) })
		if err != nil && !strings.Contains(err.Error(), "Cannot find device") {
			errs = append(errs, fmt.Errorf("deleting %s: %w", d.name, err))
		}
		errs = append(errs, d.ns.Close())
		d.ns = nil
	}
	return errors.Join(errs...)
}
