//go:build !cgo

package postgres

import (
	"context"
	"net"

	"github.com/devenv-dev/devenv/access/proxy"
)

// Proxy is unavailable without cgo.
type Proxy struct{}

// New fails: the statement parser needs cgo.
func New(Options) (*Proxy, error) { return nil, ErrNoCgo }

// Serve fails: a Proxy cannot be made without cgo.
func (*Proxy) Serve(context.Context, net.Conn, proxy.Session) error { return ErrNoCgo }

// InspectLogin fails: a Proxy cannot be made without cgo.
func (*Proxy) InspectLogin(context.Context) (LoginReport, error) { return LoginReport{}, ErrNoCgo }

// Close does nothing.
func (*Proxy) Close() error { return nil }
