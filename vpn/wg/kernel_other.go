//go:build !linux

package wg

import "fmt"

func openKernel(c Config) (Device, error) {
	return nil, fmt.Errorf("creating WireGuard link %s: %w: %w", c.Name, ErrNoKernel, ErrUnsupported)
}
