//go:build unix

package gateway

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// lockStateDir takes the state directory for this gateway alone: two
// gateways writing one key, grant file and spool would corrupt each other.
// The lock is the kernel's (flock), so it ends with the process however it
// ends.
func lockStateDir(dir string) (release func(), err error) {
	path := filepath.Join(dir, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking the state directory: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s; give each gateway its own state_dir in its configuration",
				ErrStateDirInUse, dir)
		}
		return nil, fmt.Errorf("locking the state directory %s: %w", dir, err)
	}
	return func() { f.Close() }, nil
}
