package wg

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun/netstack"
)

// NetstackDevice is a device on its own TCP/IP stack, in the process: the
// system's routes do not lead into it, so programs reach the network
// through its Dial and Listen methods, ServeSOCKS5 or Forward.
type NetstackDevice interface {
	Device
	// DialContext connects to addr ("ip:port") on the WireGuard network;
	// network is tcp, tcp4, tcp6, udp, udp4, udp6 or ping.
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
	// Listen accepts TCP connections on the device's address; addr is
	// ":port" or "ip:port".
	Listen(network, addr string) (net.Listener, error)
	// ListenPacket receives UDP on the device's address.
	ListenPacket(network, addr string) (net.PacketConn, error)
}

type netstackDevice struct {
	*goDevice
	tnet *netstack.Net
	addr netip.Addr
}

func openNetstack(c Config, log *device.Logger) (Device, error) {
	name := c.Name
	if name == "" {
		name = "netstack"
	}
	tdev, tnet, err := netstack.CreateNetTUN([]netip.Addr{c.Address.Addr()}, nil, c.MTU)
	if err != nil {
		return nil, fmt.Errorf("creating netstack device: %w", err)
	}
	bind, closeBind, err := newBind()
	if err != nil {
		tdev.Close()
		return nil, err
	}
	d := &netstackDevice{
		goDevice: &goDevice{backend: BackendNetstack, name: name, pub: c.PrivateKey.PublicKey()},
		tnet:     tnet,
		addr:     c.Address.Addr(),
	}
	d.dev = device.NewDevice(tdev, bind, log)
	d.closers = []func() error{func() error { d.dev.Close(); return nil }, closeBind}
	if err := d.configure(c); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func (d *netstackDevice) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return d.tnet.DialContext(ctx, network, addr)
}

func (d *netstackDevice) Listen(network, addr string) (net.Listener, error) {
	if network != "tcp" && network != "tcp4" && network != "tcp6" {
		return nil, fmt.Errorf("listening on %s: network %q: want tcp", d.name, network)
	}
	ap, err := d.localAddr(addr)
	if err != nil {
		return nil, err
	}
	return d.tnet.ListenTCPAddrPort(ap)
}

func (d *netstackDevice) ListenPacket(network, addr string) (net.PacketConn, error) {
	if network != "udp" && network != "udp4" && network != "udp6" {
		return nil, fmt.Errorf("listening on %s: network %q: want udp", d.name, network)
	}
	ap, err := d.localAddr(addr)
	if err != nil {
		return nil, err
	}
	return d.tnet.ListenUDPAddrPort(ap)
}

// localAddr reads ":port" or "ip:port"; no ip is the device's address.
func (d *netstackDevice) localAddr(addr string) (netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("listening on %s: %w", d.name, err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("listening on %s: port %q", d.name, port)
	}
	ip := d.addr
	if host != "" {
		if ip, err = netip.ParseAddr(host); err != nil {
			return netip.AddrPort{}, fmt.Errorf("listening on %s: %w", d.name, err)
		}
	}
	return netip.AddrPortFrom(ip, uint16(p)), nil
}
