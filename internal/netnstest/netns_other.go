//go:build !linux

package netnstest

import (
	"context"
	"net/netip"
	"os/exec"
)

// Available says why multi-host tests cannot run here.
func Available() error { return ErrUnsupported }

// New fails: network namespaces need Linux.
func New(name string) (*Net, error) { return nil, ErrUnsupported }

// Host fails: network namespaces need Linux.
func (n *Net) Host(name string, addr netip.Prefix) (*Host, error) { return nil, ErrUnsupported }

// IfName returns base: there is nothing to keep apart.
func (n *Net) IfName(base string) string { return base }

// Close does nothing.
func (n *Net) Close() error { return nil }

// Command returns a command that fails to start.
func (h *Host) Command(ctx context.Context, argv ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "false")
	cmd.Err = ErrUnsupported
	return cmd
}

// Run fails: network namespaces need Linux.
func (h *Host) Run(ctx context.Context, argv ...string) ([]byte, error) { return nil, ErrUnsupported }

// Start fails: network namespaces need Linux.
func (h *Host) Start(ctx context.Context, argv ...string) (*exec.Cmd, error) {
	return nil, ErrUnsupported
}

// Do fails: network namespaces need Linux.
func (h *Host) Do(f func() error) error { return ErrUnsupported }

// Sysctl fails: network namespaces need Linux.
func (h *Host) Sysctl(key, value string) error { return ErrUnsupported }
