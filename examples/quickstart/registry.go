package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

// localRegistry is an in-memory OCI registry served over plain HTTP.
type localRegistry struct {
	Addr string // host:port it listens on, as given or with the port chosen
	srv  *http.Server
	done chan struct{} // closed when Serve has returned
}

// startRegistry listens on addr and serves an empty in-memory registry.
// A taken port is reported with the variable that moves the registry.
func startRegistry(addr string) (*localRegistry, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("starting the sample registry: %s is already in use (another registry, or an earlier quickstart still running?); "+
			"set %s to a free address, e.g. %s=127.0.0.1:5001", addr, addrEnv, addrEnv)
	}
	if err != nil {
		return nil, fmt.Errorf("starting the sample registry on %s: %w; set %s to another HOST:PORT", addr, err, addrEnv)
	}
	host, _, _ := net.SplitHostPort(addr)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	r := &localRegistry{
		Addr: net.JoinHostPort(host, port),
		srv: &http.Server{
			Handler:           registry.New(registry.Logger(log.New(io.Discard, "", 0))),
			ReadHeaderTimeout: 10 * time.Second,
		},
		done: make(chan struct{}),
	}
	go func() {
		defer close(r.done)
		r.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return r, nil
}

// Close lets requests in flight finish for a moment, then stops serving.
func (r *localRegistry) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := r.srv.Shutdown(ctx)
	if err != nil {
		err = r.srv.Close()
	}
	<-r.done
	return err
}
