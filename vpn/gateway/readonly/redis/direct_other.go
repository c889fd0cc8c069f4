//go:build !unix

package redis

import "net"

// writeNow has no way to write without blocking here.
func writeNow(net.Conn) func([]byte) (int, error) { return nil }
