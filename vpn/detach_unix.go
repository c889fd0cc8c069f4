//go:build !windows

package vpn

import (
	"os/exec"
	"syscall"
)

// detach starts cmd in its own session, away from the terminal's signals.
func detach(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} }
