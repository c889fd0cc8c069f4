//go:build cgo

package postgres

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// writeServerCert makes a CA and a certificate for 127.0.0.1 signed by it,
// writes the server's pair into dir (owned like dir, the key 0600, as
// PostgreSQL demands) and returns the CA's PEM.
func writeServerCert(dir string) (caPEM []byte, certFile, keyFile string, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, "", "", err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "devenv test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, "", "", err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, "", "", err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	caCert, _ := x509.ParseCertificate(caDER)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, "", "", err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, "", "", err
	}
	certFile, keyFile = filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	files := map[string][]byte{
		certFile: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyFile:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, "", "", err
	}
	owner := st.Sys().(*syscall.Stat_t)
	for name, b := range files {
		if err := os.WriteFile(name, b, 0o600); err != nil {
			return nil, "", "", err
		}
		if err := os.Chown(name, int(owner.Uid), int(owner.Gid)); err != nil {
			return nil, "", "", err
		}
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), certFile, keyFile, nil
}

// sslInUse asks the upstream whether the session behind c is encrypted.
func sslInUse(t *testing.T, c *pgconn.PgConn) string {
	t.Helper()
	res, err := c.Exec(t.Context(), "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()").ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return resultText(res, nil)
}

// TestUpstreamTLS: with TLS configured the proxy's upstream session is
// encrypted and verified, cancels still reach the server, and a server the
// configured roots do not vouch for is refused rather than used in the clear.
func TestUpstreamTLS(t *testing.T) {
	srv := startPostgres(t)
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(srv.ca) {
		t.Fatal("no CA")
	}
	opts := Options{Upstream: srv.addr, User: "postgres", Password: testPassword, Database: "postgres",
		TLS: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, LoginCanWrite: true}
	tp := serveProxyWith(t, t.Context(), opts)
	c, err := pgconn.Connect(t.Context(), tp.connString())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if got := sslInUse(t, c); !strings.Contains(got, "true") {
		t.Errorf("upstream session through a TLS-configured proxy: pg_stat_ssl says %q, want true", got)
	}
	// A client cancel travels over TLS too and stops the query.
	took, err := cancelOnceRunning(t, srv, c, "SELECT pg_sleep(30) /* devenv-tls-cancel */", "devenv-tls-cancel")
	if err == nil || !strings.Contains(err.Error(), "57014") || took > 10*time.Second {
		t.Errorf("cancel over TLS: err %v after %v, want 57014 within seconds", err, took)
	}

	plain := serveProxy(t, srv, t.Context())
	pc, err := pgconn.Connect(t.Context(), plain.connString())
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(context.Background())
	if got := sslInUse(t, pc); !strings.Contains(got, "false") {
		t.Errorf("upstream session without TLS configured: pg_stat_ssl says %q, want false", got)
	}

	opts.TLS = &tls.Config{RootCAs: x509.NewCertPool(), MinVersion: tls.VersionTLS12} // trusts nothing
	untrusted := serveProxyWith(t, t.Context(), opts)
	if bad, err := pgconn.Connect(t.Context(), untrusted.connString()); err == nil {
		bad.Close(context.Background())
		t.Fatal("a proxy whose roots do not vouch for the upstream connected anyway")
	} else if !strings.Contains(err.Error(), "certificate") {
		t.Errorf("refusal does not say why: %v", err)
	}
}
