package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// upstreamBody is what the upstream answers on every path but /stream.
const upstreamBody = "devenv bench upstream: ok\n"

// streamEvery is how often /stream writes a line.
const streamEvery = 10 * time.Millisecond

// connsPath answers how many connections the upstream has accepted, so
// that a run can tell how many its proxy opened.
const connsPath = "/_conns"

// upstream is the "production" HTTP server: a small fixed body, and on
// /stream a line every streamEvery until the client goes. accepted counts
// the connections of the server it serves (see countConns).
func upstream(accepted *atomic.Int64) http.Handler {
	body := []byte(upstreamBody)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/stream":
			writeStream(w, r)
			return
		case connsPath:
			fmt.Fprintln(w, accepted.Load())
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
}

func writeStream(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	tick := time.NewTicker(streamEvery)
	defer tick.Stop()
	for n := 0; ; n++ {
		if _, err := fmt.Fprintf(w, "line %d\n", n); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}

func runUpstream(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("upstream", flag.ContinueOnError)
	addrFile := fs.String("addr-file", "", "write the listening address here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var accepted atomic.Int64
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: upstream(&accepted), ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				accepted.Add(1)
			}
		}}
	return serveOn(ctx, l, srv, *addrFile)
}

// serveLoopback serves h on 127.0.0.1 at a free port, written to addrFile
// (if set), until ctx is done.
func serveLoopback(ctx context.Context, h http.Handler, addrFile string) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	return serveOn(ctx, l, &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}, addrFile)
}

func serveOn(ctx context.Context, l net.Listener, srv *http.Server, addrFile string) error {
	if err := writeAddr(addrFile, l.Addr().String()); err != nil {
		l.Close()
		return err
	}
	stop := context.AfterFunc(ctx, func() { srv.Close() })
	defer stop()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// writeAddr writes addr to path atomically (a rename), so that a script
// polling for the file never reads half of it.
func writeAddr(path, addr string) error {
	if path == "" {
		_, err := io.WriteString(os.Stdout, addr+"\n")
		return err
	}
	if err := os.WriteFile(path+".tmp", []byte(addr+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}
