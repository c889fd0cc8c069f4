//go:build !linux

package wg

import "golang.zx2c4.com/wireguard/conn"

// newBind returns wireguard-go's UDP bind.
func newBind() (conn.Bind, func() error, error) {
	return conn.NewDefaultBind(), func() error { return nil }, nil
}
