//go:build !windows

package vpn

import (
	"fmt"
	"os"
)

// checkPrivate refuses a secret file that group or others can read.
func checkPrivate(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s is readable by others (mode %v); run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	return nil
}
