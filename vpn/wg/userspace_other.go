//go:build !linux

package wg

import (
	"fmt"

	"golang.zx2c4.com/wireguard/device"
)

func openUserspace(c Config, log *device.Logger) (Device, error) {
	return nil, fmt.Errorf("creating TUN device %s: %w: %w (Linux only); use --userspace", c.Name, ErrNoTUN, ErrUnsupported)
}
