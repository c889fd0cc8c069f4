package tcp

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/access/proxy"
)

var errCut = errors.New("grant expired")

// echo serves a line echo on loopback.
func echo(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

func TestRelayCopiesAndCuts(t *testing.T) {
	r, err := New(Options{Upstream: echo(t)})
	if err != nil {
		t.Fatal(err)
	}
	client, server := net.Pipe()
	ctx, cancel := context.WithCancelCause(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, server, proxy.Session{Record: func(proxy.Operation) {}}) }()
	go io.WriteString(client, "ping\n")
	line, err := bufio.NewReader(client).ReadString('\n')
	if err != nil || line != "ping\n" {
		t.Fatalf("echo %q, %v", line, err)
	}
	cancel(errCut)
	select {
	case err := <-done:
		if !errors.Is(err, errCut) {
			t.Errorf("Serve = %v, want the cause", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Serve still running 1 s after its context ended")
	}
	if _, err := client.Read(make([]byte, 1)); err == nil {
		t.Error("the client connection is still open")
	}
}

func TestRelayUpstreamDown(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	r, _ := New(Options{Upstream: addr})
	client, server := net.Pipe()
	defer client.Close()
	var ops []proxy.Operation
	err := r.Serve(t.Context(), server, proxy.Session{Record: func(o proxy.Operation) { ops = append(ops, o) }})
	if err == nil || len(ops) != 1 || ops[0].Verdict != proxy.Refused {
		t.Errorf("Serve = %v, ops %+v; want an error and one refused operation", err, ops)
	}
}

func TestNewRejectsBadUpstream(t *testing.T) {
	if _, err := New(Options{Upstream: "db.internal"}); err == nil {
		t.Error("New accepted an upstream without a port")
	}
}
