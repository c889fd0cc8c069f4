//go:build linux

package wg

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"

	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/ipc"
	"golang.zx2c4.com/wireguard/tun"
)

// uapiDir holds wireguard-go's control sockets, where `wg` looks for them.
const uapiDir = "/var/run/wireguard"

// openUserspace runs wireguard-go on a new TUN device with a UAPI socket,
// so that `wg show NAME` works.
func openUserspace(c Config, log *device.Logger) (Device, error) {
	runtime.LockOSThread() // the TUN device, sockets and ip commands share a namespace
	defer runtime.UnlockOSThread()
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		return nil, fmt.Errorf("creating TUN device %s: %w: %w; run as root, or use --userspace", c.Name, ErrNoTUN, err)
	}
	tdev, err := tun.CreateTUN(c.Name, c.MTU)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			err = fmt.Errorf("%w: %w", ErrNoTUN, err)
		}
		return nil, fmt.Errorf("creating TUN device %s: %w; run as root, or use --userspace", c.Name, err)
	}
	name, err := tdev.Name()
	if err != nil {
		tdev.Close()
		return nil, fmt.Errorf("creating TUN device %s: %w", c.Name, err)
	}
	bind, closeBind, err := newBind()
	if err != nil {
		tdev.Close()
		return nil, err
	}
	d := &goDevice{backend: BackendUserspace, name: name, pub: c.PrivateKey.PublicKey()}
	d.dev = device.NewDevice(tdev, bind, log)
	var uapi net.Listener
	d.closers = []func() error{
		func() error {
			if uapi != nil {
				uapi.Close()
			}
			return nil
		},
		func() error { d.dev.Close(); return nil }, // the TUN link goes with it
		closeBind,
		func() error {
			// Only a socket this device made is removed: one that was in
			// use belongs to another device.
			if uapi == nil {
				return nil
			}
			return removeSocket(name)
		},
	}
	if err := d.configure(c); err != nil {
		d.Close()
		return nil, err
	}
	if uapi, err = listenUAPI(d.dev, name); err != nil {
		d.Close()
		return nil, err
	}
	if err := configureLink(name, c); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// listenUAPI serves the wg tool on /var/run/wireguard/NAME.sock. A stale
// socket is replaced; one in use by a live device is an error.
func listenUAPI(dev *device.Device, name string) (net.Listener, error) {
	f, err := ipc.UAPIOpen(name)
	if err != nil {
		if inUse := socketFree(name); inUse != nil {
			return nil, inUse // another device took it since Open checked
		}
		return nil, fmt.Errorf("opening control socket of %s: %w", name, err)
	}
	l, err := ipc.UAPIListen(name, f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("opening control socket of %s: %w", name, err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go dev.IpcHandle(c)
		}
	}()
	return l, nil
}

func removeSocket(name string) error {
	err := os.Remove(filepath.Join(uapiDir, name+".sock"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing control socket of %s: %w", name, err)
	}
	return nil
}
