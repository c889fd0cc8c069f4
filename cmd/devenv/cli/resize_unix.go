//go:build !windows

package cli

import (
	"os"
	"os/signal"
	"syscall"
)

// watchResize calls send on every SIGWINCH until the returned stop is called.
func watchResize(send func()) (stop func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGWINCH)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-sig:
				send()
			case <-done:
				return
			}
		}
	}()
	return func() { signal.Stop(sig); close(done) }
}
