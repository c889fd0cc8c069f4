package gateway

import (
	"errors"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const fp = "3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a"

const validConfig = `hub:
  url: https://hub.example:8443
  fingerprint: ` + fp + `
  token: gw-token
wireguard:
  endpoint: gw.example:51821
state_dir: /tmp/gw
targets:
  - name: grafana
    protocol: http
    upstream: http://grafana.internal:3000
    credentials: {env: GRAFANA_TOKEN}
    max_ttl: 1h
    approvers: [alice]
    approver_role: approver
    auto_approve: {role: admin, ttl: 15m}
    break_glass: {ttl: 10m}
  - name: replica
    protocol: tcp
    upstream: db-replica.internal:5432
    read_only_upstream: true
    max_ttl: 30m
    approver_role: approver
`

func TestParseConfigListenPort(t *testing.T) {
	for _, tt := range []struct {
		name, wireguard string
		want            int
	}{
		{"absent: the default", "wireguard: {endpoint: gw.example:51821}", DefaultListenPort},
		{"zero: any", "wireguard: {listen_port: 0, endpoint: \"127.0.0.1:0\"}", 0},
		{"zero, block style", "wireguard:\n  endpoint: gw.example:51821\n  listen_port: 0", 0},
		{"given", "wireguard: {listen_port: 4000, endpoint: gw.example:4000}", 4000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			text := strings.Replace(validConfig, "wireguard:\n  endpoint: gw.example:51821", tt.wireguard, 1)
			c, err := ParseConfig("gw.yaml", []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			if c.WireGuard.ListenPort != tt.want {
				t.Errorf("listen port %d, want %d", c.WireGuard.ListenPort, tt.want)
			}
		})
	}
}

func TestParseConfigValid(t *testing.T) {
	c, err := ParseConfig("gw.yaml", []byte(validConfig))
	if err != nil {
		t.Fatal(err)
	}
	if c.Grace != DefaultGrace || c.Network != DefaultNetwork || c.WireGuard.ListenPort != DefaultListenPort {
		t.Errorf("defaults: grace %v network %v port %d", c.Grace, c.Network, c.WireGuard.ListenPort)
	}
	if got := c.TargetAddress(1); got != netip.MustParseAddrPort("100.101.0.1:10001") {
		t.Errorf("TargetAddress(1) = %v", got)
	}
	cr := c.Targets[0].Credentials
	if cr.Header != "Authorization" || cr.Scheme != "bearer" {
		t.Errorf("credential defaults %+v", cr)
	}
	ts := c.hubTargets()
	if ts[0].AutoApproveTTL != 15*time.Minute || !ts[0].BreakGlass || ts[1].Protocol != "tcp" || ts[1].Port != 10001 {
		t.Errorf("hub targets %+v", ts)
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name, old, new string
		want           string // file:line: part of the message
	}{
		{name: "postgres needs a login", old: "protocol: tcp", new: "protocol: postgres", want: "target \"replica\": postgres targets need credentials with a user"},
		{name: "redis upstream", old: "protocol: tcp\n    upstream: db-replica.internal:5432", new: "protocol: redis\n    upstream: redis", want: "upstream \"redis\": want host:port"},
		{name: "login_can_write value", old: "protocol: tcp", new: "protocol: tcp\n    login_can_write: yes",
			want: `gw.yaml:20: target "replica": login_can_write "yes": use accept or refuse (the default)`},
		{name: "allow_functions on tcp", old: "protocol: tcp", new: "protocol: tcp\n    allow_functions: [app.f]",
			want: `gw.yaml:20: target "replica": allow_functions applies to postgres targets`},
		{name: "login_can_write on tcp", old: "protocol: tcp", new: "protocol: tcp\n    login_can_write: accept",
			want: `gw.yaml:20: target "replica": login_can_write applies to postgres targets`},
		{name: "unknown protocol", old: "protocol: tcp", new: "protocol: ftp", want: `protocol "ftp": use http, tcp, postgres or redis`},
		{name: "tcp not read-only", old: "read_only_upstream: true", new: "read_only_upstream: false", want: "gw.yaml:19: target \"replica\": tcp targets need read_only_upstream: true — devenv cannot enforce read-only on opaque bytes"},
		{name: "tcp upstream", old: "db-replica.internal:5432", new: "db-replica", want: "gw.yaml:20: target \"replica\": upstream \"db-replica\": want host:port"},
		{name: "http upstream", old: "http://grafana.internal:3000", new: "grafana:3000", want: "gw.yaml:11: target \"grafana\": upstream"},
		{name: "no max_ttl", old: "max_ttl: 30m", new: "description: x", want: "target \"replica\": set max_ttl"},
		{name: "port taken", old: "read_only_upstream: true", new: "read_only_upstream: true\n    port: 10000", want: "gw.yaml:22: target \"replica\": port 10000 is target \"grafana\"'s too"},
		{name: "bad port", old: "read_only_upstream: true", new: "read_only_upstream: true\n    port: 70000", want: "port 70000: want 1-65535"},
		{name: "auto ttl over max", old: "ttl: 15m", new: "ttl: 2h", want: "gw.yaml:16: target \"grafana\": auto_approve.ttl 2h0m0s"},
		{name: "bad role", old: "role: admin", new: "role: boss", want: "auto_approve.role \"boss\""},
		{name: "break glass ttl", old: "ttl: 10m", new: "ttl: 2h", want: "break_glass.ttl"},
		{name: "duplicate name", old: "name: replica", new: "name: grafana", want: "gw.yaml:18: target \"grafana\" is named twice"},
		{name: "bad name", old: "name: replica", new: "name: Replica DB", want: "target name \"Replica DB\""},
		{name: "negative listen port", old: "  endpoint: gw.example:51821\n", new: "  endpoint: gw.example:51821\n  listen_port: -1\n", want: "wireguard.listen_port -1"},
		{name: "no endpoint", old: "  endpoint: gw.example:51821\n", new: "  listen_port: 51821\n", want: "wireguard.endpoint \"\""},
		{name: "plain http hub", old: "https://hub.example:8443", new: "http://hub.example:8443", want: "gw.yaml:2: hub.url"},
		{name: "bad fingerprint", old: fp, new: "abc", want: "gw.yaml:3: hub.fingerprint"},
		{name: "token and file", old: "token: gw-token", new: "token: a\n  token_file: /t", want: "set one of token and token_file"},
		{name: "credentials both", old: "{env: GRAFANA_TOKEN}", new: "{env: A, file: /b}", want: "credentials: set one of env and file"},
		{name: "credentials scheme", old: "{env: GRAFANA_TOKEN}", new: "{env: A, scheme: digest}", want: "credentials.scheme \"digest\""},
		{name: "tcp credentials", old: "read_only_upstream: true", new: "read_only_upstream: true\n    credentials: {env: X}", want: "tcp targets take no credentials"},
		{name: "tls on tcp", old: "read_only_upstream: true", new: "read_only_upstream: true\n    tls: {ca_file: /ca.pem}", want: "gw.yaml:22: target \"replica\": tls applies to postgres targets"},
		{name: "unknown key", old: "state_dir: /tmp/gw", new: "statedir: /tmp/gw", want: "line 7: field statedir not found"},
		{name: "bad network", old: "state_dir: /tmp/gw", new: "network: 100.101.0.0", want: "gw.yaml:7: network: want a CIDR"},
		{name: "small network", old: "state_dir: /tmp/gw", new: "network: 100.101.0.0/31", want: "network 100.101.0.0/31 is too small"},
		{name: "no targets", old: validConfig[strings.Index(validConfig, "targets:"):], new: "targets: []\n", want: "no targets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := strings.Replace(validConfig, tt.old, tt.new, 1)
			if text == validConfig {
				t.Fatalf("%q is not in the valid config", tt.old)
			}
			_, err := ParseConfig("gw.yaml", []byte(text))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v\nwant %q", err, tt.want)
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("errors.Is(err, ErrConfig) = false")
			}
		})
	}
}

func TestCredentialHeaders(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "secret")
	os.WriteFile(file, []byte("user:pw\n"), 0o600)
	t.Setenv("TOKEN_VAR", "tok")
	tests := []struct {
		name string
		cr   Credentials
		want http.Header
		err  string
	}{
		{name: "bearer env", cr: Credentials{Env: "TOKEN_VAR", Header: "Authorization", Scheme: "bearer"},
			want: http.Header{"Authorization": {"Bearer tok"}}},
		{name: "basic file", cr: Credentials{File: file, Header: "Authorization", Scheme: "basic"},
			want: http.Header{"Authorization": {"Basic dXNlcjpwdw=="}}},
		{name: "raw header", cr: Credentials{Env: "TOKEN_VAR", Header: "x-api-key", Scheme: "raw"},
			want: http.Header{"X-Api-Key": {"tok"}}},
		{name: "unset env", cr: Credentials{Env: "NOPE_UNSET", Header: "Authorization", Scheme: "bearer"}, err: "NOPE_UNSET is not set"},
		{name: "missing file", cr: Credentials{File: filepath.Join(dir, "none"), Header: "Authorization", Scheme: "bearer"}, err: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cr.header()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseConfigHTTPRules(t *testing.T) {
	rules := "max_ttl: 1h\n    paths: [/api/public, /static/]\n    graphql: true\n    allow_headers: [X-Scope-OrgID]"
	text := strings.Replace(validConfig, "max_ttl: 1h", rules, 1)
	c, err := ParseConfig("gw.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	o := httpOptions(c.Targets[0], http.Header{"Authorization": {"Bearer x"}}, nil)
	if diff := cmp.Diff([]string{"/api/public", "/static/"}, o.Paths); diff != "" || !o.GraphQL ||
		!cmp.Equal(o.AllowHeaders, []string{"X-Scope-OrgID"}) || o.Upstream.String() != "http://grafana.internal:3000" {
		t.Errorf("options %+v %s", o, diff)
	}

	tests := []struct{ name, old, new, want string }{
		{"relative path", "/api/public,", "api,", `gw.yaml:14: target "grafana": paths: path "api": want an absolute path`},
		{"dot segment", "/api/public,", "/api/../admin,", `paths: path "/api/../admin": no dot segments`},
		{"encoded path", "/api/public,", "/api/%2e%2e,", `paths: path "/api/%2e%2e": use only letters`},
		{"identity header", "[X-Scope-OrgID]", "[X-Forwarded-User]", "gw.yaml:16: target \"grafana\": allow_headers: header X-Forwarded-User carries credentials, framing or the client's identity"},
		{"method header", "[X-Scope-OrgID]", "[X-HTTP-Method-Override]", "header X-Http-Method-Override names a method"},
		{"credential header", "[X-Scope-OrgID]", "[authorization]", "carries credentials"},
		{"tcp paths", "read_only_upstream: true", "read_only_upstream: true\n    paths: [/x]", `target "replica": paths applies to http targets`},
		{"tcp graphql", "read_only_upstream: true", "read_only_upstream: true\n    graphql: true", `target "replica": graphql applies to http targets`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := strings.Replace(text, tt.old, tt.new, 1)
			if bad == text {
				t.Fatalf("%q is not in the config", tt.old)
			}
			_, err := ParseConfig("gw.yaml", []byte(bad))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v\nwant %q", err, tt.want)
			}
		})
	}
}
