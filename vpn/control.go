package vpn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"
)

// ErrNotRunning means no node answers on the control socket.
var ErrNotRunning = errors.New("the vpn is not up; run devenv vpn up")

// ErrAlreadyRunning means another node already serves the state directory.
var ErrAlreadyRunning = errors.New("the vpn is already up; run devenv vpn status, or devenv vpn down first")

// The control protocol: one JSON request line, one JSON response line. A
// forward keeps its connection open: the forward lasts as long as it does.
type controlRequest struct {
	Op     string `json:"op"` // status, down, forward
	Listen string `json:"listen,omitempty"`
	Target string `json:"target,omitempty"`
}

type controlResponse struct {
	Error   string      `json:"error,omitempty"`
	Status  *NodeStatus `json:"status,omitempty"`
	Forward string      `json:"forward,omitempty"` // the address the forward listens on
}

// listenControl opens the control socket (0600), replacing a stale one left
// by a node that died.
func listenControl(dir string) (net.Listener, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	path := filepath.Join(dir, controlFile)
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, ErrAlreadyRunning
	}
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("opening the control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("opening the control socket: %w", err)
	}
	return ln, nil
}

func (n *Node) serveControl(ctx context.Context, ln net.Listener) {
	// Run closes ln after the device, so that a node that no longer
	// answers has let go of its interface.
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go n.handleControl(ctx, c)
	}
}

func (n *Node) handleControl(ctx context.Context, c net.Conn) {
	defer c.Close()
	var req controlRequest
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := json.NewDecoder(c).Decode(&req); err != nil {
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	enc := json.NewEncoder(c)
	switch req.Op {
	case "status":
		st := n.Status()
		_ = enc.Encode(controlResponse{Status: &st})
	case "down":
		_ = enc.Encode(controlResponse{})
		n.stop(errDown)
	case "forward":
		n.serveForward(ctx, c, enc, req)
	default:
		_ = enc.Encode(controlResponse{Error: fmt.Sprintf("unknown request %q; upgrade devenv", req.Op)})
	}
}

// call sends one request to the node serving dir and reads its answer. On
// success the caller owns the connection and closes it.
func call(ctx context.Context, dir string, req controlRequest) (controlResponse, net.Conn, error) {
	dir, err := resolveDir(dir)
	if err != nil {
		return controlResponse{}, nil, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", filepath.Join(dir, controlFile))
	if err != nil {
		return controlResponse{}, nil, ErrNotRunning
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	var resp controlResponse
	err = json.NewEncoder(c).Encode(req)
	if err == nil {
		err = json.NewDecoder(c).Decode(&resp)
	}
	if err != nil {
		c.Close()
		if ctx.Err() != nil {
			return resp, nil, context.Cause(ctx)
		}
		return resp, nil, fmt.Errorf("asking the vpn node: %w", err)
	}
	if resp.Error != "" {
		c.Close()
		return resp, nil, errors.New(resp.Error)
	}
	return resp, c, nil
}

// Down stops the node serving dir ("" for the default) and waits until it
// is gone. ErrNotRunning when none is.
func Down(ctx context.Context, dir string) error {
	_, c, err := call(ctx, dir, controlRequest{Op: "down"})
	if err != nil {
		return err
	}
	defer c.Close()
	// The node closes the socket when it exits.
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, _ = io.Copy(io.Discard, c)
	for ctx.Err() == nil {
		if _, _, err := call(ctx, dir, controlRequest{Op: "status"}); errors.Is(err, ErrNotRunning) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return context.Cause(ctx)
}
