// Command probe looks at its container from the inside for the resource
// tests: it serves HTTP on :8080 until stopped, or runs one check:
//
//	probe [serve|idle]
//	probe stat PATH           prints "MODE UID GID CONTENT" ("dir" for a directory)
//	probe get URL             exits 0 when URL answers 200 within 2 s
//	probe addrs               prints the interface addresses, one a line
//	probe route               prints "default GATEWAY" when there is a default route
//	probe write PATH TEXT     writes TEXT to PATH
//	probe cat                 copies stdin to stdout until it ends
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	args := append(os.Args[1:], "serve")
	if err := run(args[0], args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(cmd string, args []string) error {
	switch cmd {
	case "serve", "idle":
		return serve(cmd == "serve")
	case "cat":
		_, err := io.Copy(os.Stdout, os.Stdin)
		return err
	case "stat":
		st, err := os.Stat(args[0])
		if err != nil {
			return err
		}
		sys := st.Sys().(*syscall.Stat_t)
		if st.IsDir() {
			fmt.Printf("%04o %d %d dir\n", sys.Mode&0o7777, sys.Uid, sys.Gid)
			return nil
		}
		b, err := os.ReadFile(args[0])
		if err != nil {
			return err
		}
		fmt.Printf("%04o %d %d %s\n", st.Mode().Perm(), sys.Uid, sys.Gid, b)
	case "get":
		c := http.Client{Timeout: 2 * time.Second}
		resp, err := c.Get(args[0])
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %s", resp.Status)
		}
	case "addrs":
		addrs, err := net.InterfaceAddrs()
		if err != nil {
			return err
		}
		for _, a := range addrs {
			fmt.Println(a.String())
		}
	case "route":
		b, err := os.ReadFile("/proc/net/route")
		if err != nil {
			return err
		}
		for _, l := range strings.Split(string(b), "\n")[1:] {
			if f := strings.Fields(l); len(f) > 2 && f[1] == "00000000" {
				gw, err := strconv.ParseUint(f[2], 16, 32)
				if err != nil {
					return err
				}
				fmt.Printf("default %d.%d.%d.%d\n", byte(gw), byte(gw>>8), byte(gw>>16), byte(gw>>24))
			}
		}
	case "write":
		return os.WriteFile(args[0], []byte(args[1]), 0o644)
	default:
		return fmt.Errorf("unknown command %q", cmd)
	}
	return nil
}

// serve answers 200 on :8080 (or only waits) until SIGTERM.
func serve(listen bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if listen {
		srv := &http.Server{Addr: ":8080", Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })}
		go srv.ListenAndServe()
		defer srv.Close()
	}
	<-ctx.Done()
	return nil
}
