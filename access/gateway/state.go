package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/devenv-dev/devenv/internal/atomicfile"

	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/wg"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// Files of the state directory.
const (
	keyFile    = "private.key" // the gateway's WireGuard key, 0600
	grantsFile = "grants.json" // the hub's last set of grants
	auditFile  = "audit.jsonl" // audit records not yet shipped, one JSON a line
	shipFile   = "audit.shipped"
)

// savedGrants is the hub's last set of grants, kept across restarts.
type savedGrants struct {
	Version uint64         `json:"version"`
	Grants  []hubapi.Grant `json:"grants"`
}

// openStateDir makes the state directory, readable by the gateway only.
func openStateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("making the state directory: %w", err)
	}
	return os.Chmod(dir, 0o700)
}

// loadOrCreateKey reads the gateway's private key, making one on first use.
func loadOrCreateKey(dir string) (wg.Key, error) {
	path := filepath.Join(dir, keyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := wgtypes.ParseKey(strings.TrimSpace(string(b)))
		if err != nil {
			return wg.Key{}, fmt.Errorf("reading %s: %w", path, err)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return wg.Key{}, fmt.Errorf("reading the gateway key: %w", err)
	}
	k, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		return wg.Key{}, fmt.Errorf("making the gateway key: %w", err)
	}
	if err := writeFileAtomic(path, []byte(k.String()+"\n")); err != nil {
		return wg.Key{}, fmt.Errorf("saving the gateway key: %w", err)
	}
	return k, nil
}

func loadGrants(dir string) (savedGrants, error) {
	var s savedGrants
	b, err := os.ReadFile(filepath.Join(dir, grantsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("reading saved grants: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("reading saved grants %s: %w", filepath.Join(dir, grantsFile), err)
	}
	return s, nil
}

func saveGrants(dir string, s savedGrants) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, grantsFile), b); err != nil {
		return fmt.Errorf("saving grants: %w", err)
	}
	return nil
}

// writeFileAtomic replaces path with b (mode 0600), never leaving it half
// written.
func writeFileAtomic(path string, b []byte) error { return atomicfile.Write(path, b, 0o600) }
