package access

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/internal/atomicfile"
	"github.com/devenv-dev/devenv/vpn"
)

// ErrNoKey means this machine holds no key for a grant: it was requested
// from another machine, or its key was deleted.
var ErrNoKey = errors.New("no key for this grant on this machine")

// KeyStore keeps the private key of every access request this machine made,
// one 0600 file per request in a 0700 directory. The keys never leave it.
type KeyStore struct {
	Dir string // <vpn state dir>/access
}

// NewKeyStore returns the key store under a vpn state directory ("" for
// vpn.DefaultDir()).
func NewKeyStore(stateDir string) (KeyStore, error) {
	if stateDir == "" {
		d, err := vpn.DefaultDir()
		if err != nil {
			return KeyStore{}, err
		}
		stateDir = d
	}
	return KeyStore{Dir: filepath.Join(stateDir, "access")}, nil
}

// requestIDRE is what the store accepts as a file name: a request ID from
// the hub never names a path outside the store.
var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$`)

// Path is where the key of request id lives.
func (s KeyStore) Path(id string) string { return filepath.Join(s.Dir, id+".key") }

// Load reads the key of request id, refusing a file others can read.
func (s KeyStore) Load(id string) (wgtypes.Key, error) {
	if !requestIDRE.MatchString(id) {
		return wgtypes.Key{}, fmt.Errorf("request ID %q: not a request ID", id)
	}
	path := s.Path(id)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return wgtypes.Key{}, fmt.Errorf("%w (%s)", ErrNoKey, path)
	}
	if err != nil {
		return wgtypes.Key{}, fmt.Errorf("reading the key of %s: %w", id, err)
	}
	if err := checkPrivate(path); err != nil {
		return wgtypes.Key{}, err
	}
	k, err := wgtypes.ParseKey(strings.TrimSpace(string(b)))
	if err != nil {
		return wgtypes.Key{}, fmt.Errorf("reading the key %s: %w", path, err)
	}
	return k, nil
}

// Has reports whether the store holds the key of request id.
func (s KeyStore) Has(id string) bool {
	if !requestIDRE.MatchString(id) {
		return false
	}
	_, err := os.Stat(s.Path(id))
	return err == nil
}

// Remove deletes the key of request id; a key already gone is fine.
func (s KeyStore) Remove(id string) error {
	if !requestIDRE.MatchString(id) {
		return nil
	}
	if err := os.Remove(s.Path(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("deleting the key of %s: %w", id, err)
	}
	return nil
}

// stage generates a key and writes it to a staging file, before its public
// half is sent anywhere, so a request the hub accepted always has its key.
// commit gives the file its request's name; discard removes it.
func (s KeyStore) stage() (wgtypes.Key, string, error) {
	k, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		return wgtypes.Key{}, "", fmt.Errorf("generating a WireGuard key: %w", err)
	}
	var nonce [8]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return wgtypes.Key{}, "", err
	}
	name := filepath.Join(s.Dir, ".staged-"+hex.EncodeToString(nonce[:])+".key")
	if err := writeSecret(s.Dir, name, []byte(k.String()+"\n")); err != nil {
		return wgtypes.Key{}, "", err
	}
	return k, name, nil
}

func (s KeyStore) commit(staged, id string) error {
	if !requestIDRE.MatchString(id) {
		return fmt.Errorf("the hub answered with request ID %q, which is not one", id)
	}
	if err := os.Rename(staged, s.Path(id)); err != nil {
		return fmt.Errorf("saving the key of %s: %w", id, err)
	}
	return nil
}

func (s KeyStore) discard(staged string) { _ = os.Remove(staged) }

// writeSecret writes path (in dir, made 0700) whole, with mode 0600 from
// the start.
func writeSecret(dir, path string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// checkPrivate refuses a key file that group or others can read. Windows
// has no such mode bits.
func checkPrivate(path string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s is readable by others (mode %v); run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	return nil
}
