package hub

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
)

func TestConfiguredCertificate(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM, err := selfSigned("hub.example")
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	os.WriteFile(certFile, certPEM, 0o644)
	os.WriteFile(keyFile, keyPEM, 0o600)
	th := startHub(t, Options{CertFile: certFile, KeyFile: keyFile})
	block, _ := pem.Decode(certPEM)
	sum := sha256.Sum256(block.Bytes)
	if th.Fingerprint() != hex.EncodeToString(sum[:]) {
		t.Errorf("fingerprint %s is not the configured certificate's", th.Fingerprint())
	}
	if _, err := os.Stat(filepath.Join(th.opts.DataDir, certName)); !os.IsNotExist(err) {
		t.Errorf("a self-signed certificate was generated although one was configured: %v", err)
	}
	// The pinned client reaches the hub with it.
	if _, err := th.admin.AddUser(t.Context(), "olga", "developer"); err != nil {
		t.Fatal(err)
	}
	th.enroll(t, th.invite(t, "olga", InviteOptions{}), "a")
}

func TestGeneratedKeyIsPrivate(t *testing.T) {
	th := startHub(t, Options{})
	fi, err := os.Stat(filepath.Join(th.opts.DataDir, keyName))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("hub.key mode %v, want 0600", fi.Mode().Perm())
	}
	dir, _ := os.Stat(th.opts.DataDir)
	if dir.Mode().Perm() != 0o700 {
		t.Errorf("data directory mode %v, want 0700", dir.Mode().Perm())
	}
}
