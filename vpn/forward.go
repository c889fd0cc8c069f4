package vpn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"

	"github.com/devenv-dev/devenv/vpn/wg"
)

// ForwardOptions says what to forward.
type ForwardOptions struct {
	Listen string // local address, e.g. 127.0.0.1:5432 or :5432
	Target string // address on the network, e.g. 100.100.0.3:5432
	// Ready, if set, is called with the address the forward listens on.
	Ready func(listen string)
}

// Forward asks the node serving dir ("" for the default) to forward the
// local address to a target on the network, through its device (which is
// how a userspace node's network is reached). The forward lasts until ctx
// ends or the node stops; ctx's end is not an error.
func Forward(ctx context.Context, dir string, o ForwardOptions) error {
	if _, _, err := net.SplitHostPort(o.Target); err != nil {
		return fmt.Errorf("forward target %q: want ADDR:PORT", o.Target)
	}
	resp, c, err := call(ctx, dir, controlRequest{Op: "forward", Listen: o.Listen, Target: o.Target})
	if err != nil {
		return err
	}
	defer c.Close()
	if o.Ready != nil {
		o.Ready(resp.Forward)
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	_, _ = io.Copy(io.Discard, c) // returns when the node stops or ctx ends
	if ctx.Err() != nil {
		return nil
	}
	return errors.New("the vpn node stopped; the forward ended")
}

// serveForward runs a forward for as long as the control connection c
// stays open.
func (n *Node) serveForward(ctx context.Context, c net.Conn, enc *json.Encoder, req controlRequest) {
	n.mu.Lock()
	dev := n.dev
	n.mu.Unlock()
	ln, err := net.Listen("tcp", req.Listen)
	if err != nil {
		_ = enc.Encode(controlResponse{Error: fmt.Sprintf("forwarding %s: %v", req.Listen, err)})
		return
	}
	f := PortForward{Listen: ln.Addr().String(), Target: req.Target}
	if err := enc.Encode(controlResponse{Forward: f.Listen}); err != nil {
		ln.Close()
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { // the client's going away ends the forward
		_, _ = io.Copy(io.Discard, c)
		cancel()
	}()
	n.addForward(f)
	defer n.removeForward(f)
	n.emit(EventForward, "forwarding %s to %s", f.Listen, f.Target)
	_ = wg.Forward(ctx, ln, dial(dev), f.Target)
	n.emit(EventForward, "stopped forwarding %s to %s", f.Listen, f.Target)
}

func (n *Node) addForward(f PortForward) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.forwards = append(n.forwards, f)
}

func (n *Node) removeForward(f PortForward) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.forwards = slices.DeleteFunc(n.forwards, func(g PortForward) bool { return g == f })
}

// serveSOCKS serves a SOCKS5 proxy into the network on addr until ctx ends.
func (n *Node) serveSOCKS(ctx context.Context, dev wg.Device, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serving SOCKS5 on %s: %w", addr, err)
	}
	n.mu.Lock()
	n.socks = ln.Addr().String()
	n.mu.Unlock()
	go func() {
		if err := wg.ServeSOCKS5(ctx, ln, dial(dev)); err != nil {
			n.emit(EventDeviceError, "SOCKS5 proxy: %v", err)
		}
	}()
	return nil
}
