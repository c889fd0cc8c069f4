//go:build linux

package wg

import (
	"errors"
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/conn"
)

// netns is the network namespace a device was opened in. wireguard-go
// reopens its UDP sockets from its own goroutines (when the device goes
// up), which run in whatever namespace their thread is in; pinnedBind opens
// them in the device's.
type netns struct {
	f *os.File // /proc/thread-self/ns/net of the opening thread
}

// currentNetns captures the calling thread's namespace; the caller has
// locked its OS thread.
func currentNetns() (*netns, error) {
	f, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return nil, fmt.Errorf("opening own network namespace: %w", err)
	}
	return &netns{f: f}, nil
}

func (ns *netns) Close() error { return ns.f.Close() }

// do runs f on a thread in ns.
func (ns *netns) do(f func() error) (err error) {
	runtime.LockOSThread()
	cur, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("opening own network namespace: %w", err)
	}
	defer cur.Close()
	if sameFile(cur, ns.f) {
		defer runtime.UnlockOSThread()
		return f()
	}
	if err := unix.Setns(int(ns.f.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("entering the device's network namespace: %w", err)
	}
	defer func() {
		if rerr := unix.Setns(int(cur.Fd()), unix.CLONE_NEWNET); rerr != nil {
			// Left locked, the thread dies with its goroutine.
			err = errors.Join(err, fmt.Errorf("leaving the device's network namespace: %w", rerr))
			return
		}
		runtime.UnlockOSThread()
	}()
	return f()
}

func sameFile(a, b *os.File) bool {
	var sa, sb unix.Stat_t
	if unix.Fstat(int(a.Fd()), &sa) != nil || unix.Fstat(int(b.Fd()), &sb) != nil {
		return false
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

// pinnedBind opens its sockets in one namespace.
type pinnedBind struct {
	conn.Bind
	ns *netns
}

func (b *pinnedBind) Open(port uint16) (fns []conn.ReceiveFunc, actual uint16, err error) {
	err = b.ns.do(func() error {
		var err error
		fns, actual, err = b.Bind.Open(port)
		return err
	})
	return fns, actual, err
}

// newBind returns wireguard-go's UDP bind pinned to the calling thread's
// namespace, and what releases the pin.
func newBind() (conn.Bind, func() error, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ns, err := currentNetns()
	if err != nil {
		return nil, nil, err
	}
	return &pinnedBind{Bind: conn.NewDefaultBind(), ns: ns}, ns.Close, nil
}
