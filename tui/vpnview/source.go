package vpnview

import (
	"context"
	"errors"

	"github.com/devenv-dev/devenv/vpn"
)

// Source is what the panel needs of this machine's node.
type Source interface {
	// Status reports the node, or its saved state when it is not up.
	Status(ctx context.Context) (vpn.NodeStatus, error)
	// Up brings the node up in the background and returns once it answers.
	Up(ctx context.Context) error
	// Down stops the node; it stays a member of the network.
	Down(ctx context.Context) error
}

// ErrNoUp means the panel was not told how to start a node; devenv vpn up
// in a shell does.
var ErrNoUp = errors.New("bringing the vpn up is not available here; run devenv vpn up")

// Local is the node of a state directory on this machine, through the same
// library calls as devenv vpn status, up and down.
type Local struct {
	// Dir is the vpn state directory; "" for vpn.DefaultDir().
	Dir string
	// UpCommand is the command line of a node in the foreground
	// (devenv vpn up --foreground …) that Up starts detached; nil leaves
	// Up to the command line (ErrNoUp).
	UpCommand []string
}

// LocalSource is the node of state directory dir ("" for the default).
func LocalSource(dir string) *Local { return &Local{Dir: dir} }

// Status is vpn.Status.
func (l *Local) Status(ctx context.Context) (vpn.NodeStatus, error) { return vpn.Status(ctx, l.Dir) }

// Up is vpn.Spawn of UpCommand; an already running node is no error.
func (l *Local) Up(ctx context.Context) error {
	if len(l.UpCommand) == 0 {
		return ErrNoUp
	}
	_, err := vpn.Spawn(ctx, l.Dir, l.UpCommand)
	if errors.Is(err, vpn.ErrAlreadyRunning) {
		return nil
	}
	return err
}

// Down is vpn.Down; a node that is not running is no error.
func (l *Local) Down(ctx context.Context) error {
	err := vpn.Down(ctx, l.Dir)
	if errors.Is(err, vpn.ErrNotRunning) {
		return nil
	}
	return err
}
