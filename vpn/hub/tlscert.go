package hub

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/devenv-dev/devenv/internal/atomicfile"
)

// Names of the generated certificate and key in the data directory.
const (
	certName = "hub.crt"
	keyName  = "hub.key"
)

// loadCertificate loads the configured certificate, or the self-signed one
// kept in dataDir, generating it on first start. Clients pin the
// certificate's fingerprint, so it must survive restarts.
func loadCertificate(opts Options) (tls.Certificate, error) {
	certFile, keyFile := opts.CertFile, opts.KeyFile
	if certFile == "" && keyFile == "" {
		certFile, keyFile = filepath.Join(opts.DataDir, certName), filepath.Join(opts.DataDir, keyName)
		if err := ensureSelfSigned(certFile, keyFile, hostOf(opts.PublicURL)); err != nil {
			return tls.Certificate{}, fmt.Errorf("generating the hub certificate: %w", err)
		}
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("loading the hub certificate %s: %w", certFile, err)
	}
	return cert, nil
}

// fingerprint is the hex SHA-256 of the leaf certificate's DER.
func fingerprint(cert tls.Certificate) string {
	sum := sha256.Sum256(cert.Certificate[0])
	return hex.EncodeToString(sum[:])
}

func ensureSelfSigned(certFile, keyFile, host string) error {
	_, errC := os.Stat(certFile)
	_, errK := os.Stat(keyFile)
	if errC == nil && errK == nil {
		return nil
	}
	if !errors.Is(errC, fs.ErrNotExist) && errC != nil {
		return errC
	}
	certPEM, keyPEM, err := selfSigned(host)
	if err != nil {
		return err
	}
	// The key goes first and the certificate last: a crash in between
	// leaves no certificate, so the next start makes a fresh pair.
	if err := atomicfile.Write(keyFile, keyPEM, 0o600); err != nil {
		return err
	}
	return atomicfile.Write(certFile, certPEM, 0o644)
}

func selfSigned(host string) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "devenv hub"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(20, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
	} else if host != "" {
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}
