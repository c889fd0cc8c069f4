// Command dbproxy serves one of devenv's read-only database proxies
// (access/proxy/postgres or …/redis) on a plain TCP listener, with
// no tunnel and no grant, so that bench/db.sh can put pgbench and
// redis-benchmark in front of the proxy alone. Audit records are dropped.
// It is a benchmark fixture, not a test.
//
//	dbproxy -protocol postgres -upstream HOST:PORT -listen ADDR -user U -password P -database D
//	dbproxy -protocol redis -upstream HOST:PORT -listen ADDR [-user U] [-password P] [-shared N]
//
// It serves until SIGINT or SIGTERM. Errors go to stderr. -cpuprofile FILE
// writes a CPU profile of the whole run (for go tool pprof) when it stops.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/devenv-dev/devenv/access/proxy"
	"github.com/devenv-dev/devenv/access/proxy/postgres"
	"github.com/devenv-dev/devenv/access/proxy/redis"
)

// errStopped is the cause of the sessions' context once a signal came.
var errStopped = errors.New("dbproxy stopped")

type config struct {
	cpuProfile                 string
	protocol, upstream, listen string
	user, password, database   string
	shared                     int
}

func main() {
	var c config
	flag.StringVar(&c.protocol, "protocol", "", "postgres or redis")
	flag.StringVar(&c.upstream, "upstream", "", "the server's host:port")
	flag.StringVar(&c.listen, "listen", "127.0.0.1:0", "address to serve on")
	flag.StringVar(&c.user, "user", "", "upstream user (redis: ACL user, may be empty)")
	flag.StringVar(&c.password, "password", "", "upstream password")
	flag.StringVar(&c.database, "database", "", "upstream database (postgres)")
	flag.IntVar(&c.shared, "shared", 0, "redis: upstream connections plain sessions share (0: the proxy's default, -1: none)")
	flag.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if flag.NArg() > 0 || c.upstream == "" {
		fmt.Fprintln(os.Stderr, "usage: dbproxy -protocol postgres|redis -upstream HOST:PORT -listen ADDR [-user U] [-password P] [-database D]")
		os.Exit(2)
	}
	if err := run(c); err != nil {
		fmt.Fprintf(os.Stderr, "dbproxy: %v\n", err)
		os.Exit(1)
	}
}

func run(c config) error {
	h, err := newHandler(c)
	if err != nil {
		return err
	}
	if cl, ok := h.(io.Closer); ok {
		defer cl.Close()
	}
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", c.listen, err)
	}
	if c.cpuProfile != "" {
		stopProfile, err := startProfile(c.cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	sig, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		<-sig.Done()
		cancel(errStopped)
		ln.Close()
	}()
	fmt.Fprintf(os.Stderr, "dbproxy: %s proxy of %s on %s\n", c.protocol, c.upstream, ln.Addr())
	return serve(ctx, ln, h, c.protocol)
}

func newHandler(c config) (proxy.Handler, error) {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	switch c.protocol {
	case "postgres":
		p, err := postgres.New(postgres.Options{Upstream: c.upstream, User: c.user, Password: c.password, Database: c.database, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("postgres proxy: %w", err)
		}
		return p, nil
	case "redis":
		return redis.New(redis.Options{Upstream: c.upstream, Username: c.user, Password: c.password, Shared: c.shared,
			Logger: log})
	}
	return nil, fmt.Errorf("unknown -protocol %q: postgres or redis", c.protocol)
}

// serve accepts until ln is closed; each connection is one session under
// ctx, which lives as long as the process.
func serve(ctx context.Context, ln net.Listener, h proxy.Handler, target string) error {
	s := proxy.Session{Target: target, Record: func(proxy.Operation) {}}
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("accepting: %w", err)
		}
		go func() {
			defer conn.Close()
			h.Serve(ctx, conn, s)
		}()
	}
}

// startProfile profiles the CPU until the returned func is called.
func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("creating the CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting the CPU profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
