package vpn

import (
	"os/exec"
	"syscall"
)

// detach starts cmd without a console of its own, in a new process group.
func detach(cmd *exec.Cmd) {
	const detachedProcess = 0x00000008
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: detachedProcess | syscall.CREATE_NEW_PROCESS_GROUP}
}
