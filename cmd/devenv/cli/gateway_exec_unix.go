//go:build unix

package cli

import "syscall"

// execGateway replaces devenv with the gateway, so that signals, the
// process ID and the exit status are the gateway's own, as if it had
// been started directly. It returns only when it fails.
func execGateway(path string, args, env []string) error {
	return syscall.Exec(path, append([]string{path}, args...), env)
}
