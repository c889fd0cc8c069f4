package vpn

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/devenv-dev/devenv/internal/atomicfile"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// Files in the state directory. The directory is 0700 and every file 0600:
// the key and the device token are secrets.
const (
	keyFile     = "private.key"
	stateFile   = "state.json"
	controlFile = "control.sock"
	LogFile     = "node.log" // where a detached node writes its events
)

// ErrNotJoined means there is no state: the machine has not joined a network.
var ErrNotJoined = errors.New("this machine has not joined a network; run devenv vpn join INVITE")

// State is what joining leaves on disk (besides the private key).
type State struct {
	HubURL      string         `json:"hub_url"`
	Fingerprint string         `json:"fingerprint"` // pinned hub certificate
	Token       string         `json:"token"`       // device token; secret
	DeviceID    string         `json:"device_id"`
	Name        string         `json:"name"`
	User        string         `json:"user"`
	PublicKey   string         `json:"public_key"` // ours, for display
	Address     netip.Prefix   `json:"address"`    // ours on the network
	Network     netip.Prefix   `json:"network"`
	Hub         hubapi.HubPeer `json:"hub"`
	NetMap      uint64         `json:"netmap_version,omitempty"` // last applied, for status
	Revoked     bool           `json:"revoked,omitempty"`        // an admin revoked the device
}

// DefaultDir is the state directory: devenv/vpn under the user's config dir.
func DefaultDir() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the config directory: %w", err)
	}
	return filepath.Join(d, "devenv", "vpn"), nil
}

// resolveDir returns dir, or the default when it is "".
func resolveDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	return DefaultDir()
}

// LoadState reads the state in dir ("" for the default).
func LoadState(dir string) (State, error) {
	dir, err := resolveDir(dir)
	if err != nil {
		return State{}, err
	}
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return State{}, ErrNotJoined
	}
	if err != nil {
		return State{}, fmt.Errorf("reading vpn state: %w", err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return State{}, fmt.Errorf("reading vpn state %s: %w", filepath.Join(dir, stateFile), err)
	}
	return s, nil
}

// saveState writes the state atomically with mode 0600.
func saveState(dir string, s State) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeSecret(dir, stateFile, append(b, '\n'))
}

// newKey generates a private key in memory; it is saved only once the hub
// has accepted its public half.
func newKey() (wgtypes.Key, error) {
	k, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		return wgtypes.Key{}, fmt.Errorf("generating a WireGuard key: %w", err)
	}
	return k, nil
}

func saveKey(dir string, k wgtypes.Key) error {
	return writeSecret(dir, keyFile, []byte(k.String()+"\n"))
}

// loadKey reads the private key, refusing a file others can read.
func loadKey(dir string) (wgtypes.Key, error) {
	path := filepath.Join(dir, keyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return wgtypes.Key{}, ErrNotJoined
	}
	if err != nil {
		return wgtypes.Key{}, fmt.Errorf("reading the private key: %w", err)
	}
	if err := checkPrivate(path); err != nil {
		return wgtypes.Key{}, err
	}
	k, err := wgtypes.ParseKey(strings.TrimSpace(string(b)))
	if err != nil {
		return wgtypes.Key{}, fmt.Errorf("reading the private key %s: %w", path, err)
	}
	return k, nil
}

// writeSecret writes name in dir through a temporary file (created 0600) and
// a rename, so a reader never sees half a file.
func writeSecret(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	if err := atomicfile.Write(filepath.Join(dir, name), data, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Join(dir, name), err)
	}
	return nil
}

// removeState deletes the key, the state, the control socket and the log; files that
// are already gone are fine.
func removeState(dir string) error {
	var errs []error
	for _, name := range []string{keyFile, stateFile, controlFile, LogFile, pendingFile} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
