package gateway

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
)

// config is the TLS configuration of an upstream at addr (host:port), or
// nil when u is nil (no TLS). A CA file that cannot be read or holds no
// certificate is an error: the gateway does not fall back to the clear.
func (u *UpstreamTLS) config(addr string) (*tls.Config, error) {
	if u == nil {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: u.ServerName}
	if cfg.ServerName == "" {
		cfg.ServerName, _, _ = net.SplitHostPort(addr)
	}
	if u.CAFile != "" {
		pem, err := os.ReadFile(u.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls.ca_file: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.ca_file %s: no PEM certificate in it", u.CAFile)
		}
	}
	return cfg, nil
}
