package access

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/internal/clock"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
	"github.com/devenv-dev/devenv/vpn/wg"
)

// DefaultPoll is how often Connect asks the hub whether the grant still
// stands. The gateway cuts a revoked grant by itself; this only makes
// the client say so promptly.
const DefaultPoll = 2 * time.Second

// ConnectOptions says what to connect to and how.
type ConnectOptions struct {
	Hub Hub
	Dir string // vpn state directory ("" for the default), where the grant keys are
	// Ref names the grant: a request ID, or a target name (the caller's
	// active grant for it that lasts longest).
	Ref string
	// Port is the local port on 127.0.0.1; 0: the protocol's usual port if
	// free (DefaultPort), else any free port; AnyPort: any free port.
	Port int
	// Poll is how often to check the grant with the hub; 0: DefaultPoll.
	Poll time.Duration
	// OnEvent, if set, receives the connection's events, one at a time.
	OnEvent func(Event)
	// Clock is the time the grant's deadline is kept on; nil is
	// clock.Real. Tests move a fake one instead of waiting.
	Clock clock.Clock
}

func (o *ConnectOptions) emit(e Event) {
	if o.OnEvent != nil {
		e.Time = time.Now()
		o.OnEvent(e)
	}
}

// Connect finds the grant, brings up a userspace tunnel to its gateway with
// the grant's key and forwards every connection to 127.0.0.1:PORT to the
// target until the grant ends: then it closes everything and returns an
// *EndedError. When ctx ends first it returns nil; the grant stays.
func Connect(ctx context.Context, o ConnectOptions) error {
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	keys, err := NewKeyStore(o.Dir)
	if err != nil {
		return err
	}
	g, key, err := findGrant(ctx, o.Hub, keys, o.Ref, clock.Or(o.Clock).Now())
	if err != nil {
		return err
	}
	o.emit(Event{Kind: EventGrant, RequestID: g.RequestID, Target: g.Target, Protocol: g.Protocol, NotAfter: g.NotAfter,
		Message: fmt.Sprintf("grant %s for %s until %s", g.RequestID, g.Target, g.NotAfter.Local().Format(time.TimeOnly))})
	dev, err := openTunnel(key, g)
	if err != nil {
		return err
	}
	l, err := listenLocal(o.Port, g.Protocol)
	if err != nil {
		dev.Close()
		return err
	}
	err = forward(ctx, &o, g, dev, l)
	if cerr := dev.Close(); cerr != nil {
		o.emit(Event{Kind: EventTunError, Target: g.Target, Message: cerr.Error()})
	}
	var ended *EndedError
	if errors.As(err, &ended) {
		_ = keys.Remove(g.RequestID) // the key is useless now
		o.emit(Event{Kind: EventEnded, RequestID: g.RequestID, Target: g.Target, Message: err.Error()})
	}
	return err
}

// findGrant picks the grant ref names and loads its key.
func findGrant(ctx context.Context, h Hub, keys KeyStore, ref string, now time.Time) (hubapi.Grant, wgtypes.Key, error) {
	rs, err := h.Requests(ctx, hubclient.RequestsMine)
	if err != nil {
		return hubapi.Grant{}, wgtypes.Key{}, fmt.Errorf("listing your access requests: %w", err)
	}
	r, err := pickGrant(rs, ref, now, keys.Has)
	if err != nil {
		return hubapi.Grant{}, wgtypes.Key{}, err
	}
	g, err := h.Grant(ctx, r.ID, false)
	if err != nil {
		return hubapi.Grant{}, wgtypes.Key{}, fmt.Errorf("reading grant %s: %w", r.ID, err)
	}
	key, err := keys.Load(r.ID)
	if err != nil {
		return hubapi.Grant{}, wgtypes.Key{}, err
	}
	if key.PublicKey().String() != g.PublicKey {
		return hubapi.Grant{}, wgtypes.Key{}, fmt.Errorf("grant %s is for another key than %s; request access again", r.ID, keys.Path(r.ID))
	}
	return g, key, nil
}

// forward serves l until the grant ends or ctx does. The control context
// (ctx, and the hub's word on the grant) is kept apart from the data
// context, which also carries the grant's deadline; every forwarded
// connection lives under the data context.
func forward(ctx context.Context, o *ConnectOptions, g hubapi.Grant, dev wg.NetstackDevice, l net.Listener) error {
	ctrl, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	expired := &EndedError{Target: g.Target, At: g.NotAfter, Reason: ErrExpired}
	data, stop := clock.WithDeadline(ctrl, clock.Or(o.Clock), g.NotAfter, expired)
	defer stop()

	var watcher sync.WaitGroup
	watcher.Go(func() { watchGrant(ctrl, cancel, o, g) })
	defer watcher.Wait()

	o.emit(Event{Kind: EventUp, RequestID: g.RequestID, Target: g.Target, Protocol: g.Protocol,
		Listen: l.Addr().String(), NotAfter: g.NotAfter,
		Message: fmt.Sprintf("%s on %s until %s", g.Target, l.Addr(), g.NotAfter.Local().Format(time.TimeOnly))})
	err := wg.Forward(data, l, dialer(dev), g.Gateway.TargetAddress)
	cause := context.Cause(data)
	cancel(nil) // stop the watcher
	var ended *EndedError
	switch {
	case errors.As(cause, &ended):
		return ended
	case err != nil:
		return fmt.Errorf("forwarding to %s: %w", g.Target, err)
	}
	o.emit(Event{Kind: EventStopped, RequestID: g.RequestID, Target: g.Target, NotAfter: g.NotAfter,
		Message: fmt.Sprintf("disconnected from %s; the grant lasts until %s", g.Target, g.NotAfter.Local().Format(time.TimeOnly))})
	return nil
}

// watchGrant asks the hub every o.Poll whether the grant still stands and
// cancels ctx with an *EndedError when it does not, or when the hub says
// this device was revoked. A hub that does not answer changes nothing:
// the deadline holds regardless.
func watchGrant(ctx context.Context, cancel context.CancelCauseFunc, o *ConnectOptions, g hubapi.Grant) {
	t := time.NewTicker(o.Poll)
	defer t.Stop()
	lost := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r, err := findRequest(ctx, o.Hub, g.RequestID)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, hubclient.ErrRevoked):
			// This device was revoked (or its user removed): the hub has
			// ended its grants, and the answer is final.
			cancel(&EndedError{Target: g.Target, At: time.Now(), Reason: ErrRevoked, By: "an admin, who revoked this device"})
			return
		case err != nil && !lost:
			lost = true
			o.emit(Event{Kind: EventHubLost, Target: g.Target, Message: err.Error()})
		case err == nil && lost:
			lost = false
			o.emit(Event{Kind: EventHubBack, Target: g.Target, Message: "the hub answers again"})
		}
		if err == nil && r.State != hubapi.StateApproved {
			cancel(endedBy(g, r))
			return
		}
	}
}

// endedBy says how a grant the hub no longer reports approved ended.
func endedBy(g hubapi.Grant, r hubapi.Request) *EndedError {
	e := &EndedError{Target: g.Target, At: time.Now(), Reason: ErrRevoked}
	if r.State == hubapi.StateExpired {
		e.Reason, e.At = ErrExpired, g.NotAfter
		return e
	}
	if r.State == hubapi.StateRevoked {
		e.By = r.Approver
		if !r.Decided.IsZero() {
			e.At = r.Decided
		}
	}
	return e
}
