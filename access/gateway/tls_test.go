package gateway

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUpstreamTLSConfig(t *testing.T) {
	var none *UpstreamTLS
	if cfg, err := none.config("db:5432"); cfg != nil || err != nil {
		t.Errorf("no tls: %v, %v; want nothing", cfg, err)
	}
	cfg, err := (&UpstreamTLS{}).config("db.internal:5432")
	if err != nil || cfg.ServerName != "db.internal" || cfg.RootCAs != nil {
		t.Errorf("defaults: %+v, %v; want the upstream's host and the system's roots", cfg, err)
	}
	cfg, err = (&UpstreamTLS{ServerName: "primary.db"}).config("10.0.0.5:5432")
	if err != nil || cfg.ServerName != "primary.db" {
		t.Errorf("server_name: %+v, %v", cfg, err)
	}
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pem")
	os.WriteFile(junk, []byte("not a certificate"), 0o600)
	for file, want := range map[string]string{filepath.Join(dir, "missing.pem"): "no such file", junk: "no PEM certificate"} {
		if _, err := (&UpstreamTLS{CAFile: file}).config("db:5432"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ca_file %s: %v; want an error saying %q (never the clear as a fallback)", file, err, want)
		}
	}
}

func TestParseConfigPostgresTLS(t *testing.T) {
	text := strings.Replace(validConfig, "protocol: tcp", "protocol: postgres", 1)
	text = strings.Replace(text, "read_only_upstream: true", "credentials: {user: ro, env: PGPW}\n    tls: {ca_file: /etc/ca.pem, server_name: db.internal}", 1)
	c, err := ParseConfig("gw.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if tls := c.Targets[1].TLS; tls == nil || tls.CAFile != "/etc/ca.pem" || tls.ServerName != "db.internal" {
		t.Errorf("tls of the postgres target: %+v", tls)
	}
}
