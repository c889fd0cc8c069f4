//go:build linux

package wg

import (
	"fmt"
	"net"
	"path/filepath"
)

// nameFree reports ErrInUse when name is an existing interface in this
// network namespace, or when another process serves the control socket of
// that name. The sockets live in one host-wide directory, so two devices
// in different namespaces still collide on them.
func nameFree(name string) error {
	if _, err := net.InterfaceByName(name); err == nil {
		return fmt.Errorf("opening WireGuard device: %w: a network interface %s exists; "+
			"pick another name with --interface", ErrInUse, name)
	}
	return socketFree(name)
}

// socketFree reports ErrInUse when another process serves the control
// socket of name.
func socketFree(name string) error {
	sock := filepath.Join(uapiDir, name+".sock")
	if c, err := net.Dial("unix", sock); err == nil {
		c.Close()
		return fmt.Errorf("opening WireGuard device: %w: another WireGuard device on this host serves %s "+
			"(another devenv node, hub or wireguard-go?); pick another name with --interface", ErrInUse, sock)
	}
	return nil
}
