package vpn

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
)

// ErrAlreadyJoined means the state directory already holds a membership.
var ErrAlreadyJoined = errors.New("this machine has already joined a network; run devenv vpn leave first")

// JoinOptions says how to join.
type JoinOptions struct {
	Invite string // as devenv hub invite create printed it
	Name   string // device name; default: the host name
	Dir    string // state directory; default DefaultDir()
}

// Join redeems an invite: it generates the device's key locally, sends only
// the public key to the hub and saves the key and the state (both 0600). On
// a refusal nothing is saved and nothing stays registered. When the hub
// gives no answer, the key stays in a pending file, so that the same join
// run again gets the device the hub may have made (see pendingFile).
func Join(ctx context.Context, o JoinOptions) (State, error) {
	inv, err := hubapi.ParseInvite(o.Invite)
	if err != nil {
		return State{}, err
	}
	dir, err := resolveDir(o.Dir)
	if err != nil {
		return State{}, err
	}
	if _, err := LoadState(dir); !errors.Is(err, ErrNotJoined) {
		if err == nil {
			err = ErrAlreadyJoined
		}
		return State{}, err
	}
	name, err := deviceName(o.Name)
	if err != nil {
		return State{}, err
	}
	key, err := enrollmentKey(dir, inv, name)
	if err != nil {
		return State{}, err
	}
	c := hubclient.New(inv.HubURL, inv.Fingerprint, "")
	defer c.Close()
	resp, err := enroll(ctx, c, hubapi.EnrollRequest{Secret: inv.Secret, Name: name, PublicKey: key.PublicKey().String()})
	if err != nil {
		if !errors.Is(err, hubclient.ErrUnreachable) {
			dropRefused(dir) // a retry would be refused too
		}
		return State{}, joinError(err, name)
	}
	dropPending(dir)
	st, err := newState(inv, name, key.PublicKey().String(), resp)
	if err == nil {
		err = saveJoined(dir, key, st)
	}
	if err != nil {
		// Undo the registration so that the address is not held by a
		// device without a key.
		_ = hubclient.New(inv.HubURL, inv.Fingerprint, resp.Token).Leave(context.WithoutCancel(ctx))
		return State{}, err
	}
	return st, nil
}

func saveJoined(dir string, key Key, st State) error {
	err := saveKey(dir, key)
	if err == nil {
		err = saveState(dir, st)
	}
	if err != nil {
		_ = removeState(dir)
	}
	return err
}

func newState(inv hubapi.Invite, name, pub string, r hubapi.EnrollResponse) (State, error) {
	addr, err := netip.ParsePrefix(r.Address)
	if err != nil {
		return State{}, fmt.Errorf("the hub gave an invalid address %q: %w", r.Address, err)
	}
	network, err := netip.ParsePrefix(r.Network)
	if err != nil {
		return State{}, fmt.Errorf("the hub gave an invalid network %q: %w", r.Network, err)
	}
	if _, err := hubPeer(r.Hub, network); err != nil {
		return State{}, err
	}
	return State{
		HubURL: inv.HubURL, Fingerprint: inv.Fingerprint, Token: r.Token,
		DeviceID: r.DeviceID, Name: name, User: r.User, PublicKey: pub,
		Address: addr, Network: network, Hub: r.Hub,
	}, nil
}

// deviceName is the --name, or the host name up to its first dot.
func deviceName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name != "" {
		return name, nil
	}
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "", errors.New("cannot tell this machine's host name; choose a device name with --name")
	}
	h, _, _ = strings.Cut(h, ".")
	return strings.ToLower(h), nil
}

// joinFailure is a hub refusal turned into a sentence; it still matches the
// hub's code with errors.Is.
type joinFailure struct {
	msg string
	err error
}

func (e *joinFailure) Error() string { return e.msg }
func (e *joinFailure) Unwrap() error { return e.err }

// joinError explains an enrolment failure in one line.
func joinError(err error, name string) error {
	var msg string
	switch {
	case errors.Is(err, hubclient.ErrInviteExpired):
		msg = "the invite has expired; ask the hub's admin for a new one"
	case errors.Is(err, hubclient.ErrInviteUsed):
		msg = "the invite was already used (each invite works once); ask the hub's admin for a new one"
	case errors.Is(err, hubclient.ErrInviteUnknown), errors.Is(err, hubclient.ErrUnauthorized):
		msg = "the hub does not know this invite (mistyped, revoked or forged); ask the hub's admin for a new one"
	case errors.Is(err, hubclient.ErrNameTaken):
		msg = fmt.Sprintf("a device named %q is already registered; choose another name with --name", name)
	case errors.Is(err, hubclient.ErrKeyTaken):
		msg = "the hub already knows this device's new key, which should never happen; run devenv vpn join again"
	case errors.Is(err, hubclient.ErrAddressSpaceFull):
		msg = "the network has no free address left; ask the hub's admin to revoke unused devices"
	case errors.Is(err, hubclient.ErrUnreachable):
		return fmt.Errorf("joining: %w (if the hub got the request, running the same devenv vpn join again "+
			"gets this device back)", err)
	default:
		return fmt.Errorf("joining: %w", err)
	}
	return &joinFailure{msg: msg, err: err}
}

// Leave stops a running node, deregisters the device (the hub frees its
// address) and removes the local state. A hub that no longer knows the device
// counts as done; an unreachable hub keeps the state so that leave can be
// retried.
func Leave(ctx context.Context, dir string) error {
	dir, err := resolveDir(dir)
	if err != nil {
		return err
	}
	st, err := LoadState(dir)
	if err != nil {
		return err
	}
	if err := Down(ctx, dir); err != nil && !errors.Is(err, ErrNotRunning) {
		return err
	}
	c := hubclient.New(st.HubURL, st.Fingerprint, st.Token)
	defer c.Close()
	err = c.Leave(ctx)
	if err != nil && !errors.Is(err, hubclient.ErrUnauthorized) && !errors.Is(err, hubclient.ErrRevoked) &&
		!errors.Is(err, hubclient.ErrDeviceUnknown) {
		return fmt.Errorf("leaving the network (local state kept; retry when the hub is back): %w", err)
	}
	return removeState(dir)
}
