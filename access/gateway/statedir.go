package gateway

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DefaultStateDir is where a gateway configured by file keeps its key,
// saved grants, last hub contact and audit spool when the file sets no
// state_dir: a directory of its own per configuration file (named after
// the file, without its extension), under /var/lib/devenv/gateway for
// root and under the user's state directory ($XDG_STATE_HOME, else
// ~/.local/state) otherwise, so that the gateway needs no root and two
// gateways on one host keep apart.
func DefaultStateDir(configFile string) string {
	stem := strings.TrimSuffix(filepath.Base(configFile), filepath.Ext(configFile))
	if stem == "" || stem == "." || stem == string(filepath.Separator) {
		stem = "gateway"
	}
	return filepath.Join(stateBase(os.Geteuid()), stem)
}

func stateBase(euid int) string {
	if euid == 0 {
		return "/var/lib/devenv/gateway"
	}
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "devenv", "gateway")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "devenv", "gateway")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("devenv-gateway-%d", os.Getuid()))
}

// ErrStateDirInUse means another gateway holds the state directory.
var ErrStateDirInUse = errors.New("the state directory is in use by another gateway")
