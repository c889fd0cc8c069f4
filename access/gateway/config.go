package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// Defaults of the configuration file.
const (
	DefaultGrace      = 30 * time.Second
	DefaultListenPort = 51821
	// FirstTargetPort is the tunnel port of the first target: the i-th
	// target (from 0, in file order) listens on FirstTargetPort+i unless it
	// sets port:. The port is sent to the hub either way.
	FirstTargetPort = hubapi.TargetPortBase
)

// DefaultNetwork is the access network when the file names none.
var DefaultNetwork = netip.MustParsePrefix("100.101.0.0/16")

// Config is a gateway's configuration file.
type Config struct {
	File      string          `yaml:"-"` // where it was read, for messages
	Hub       HubConfig       `yaml:"hub"`
	WireGuard WireGuardConfig `yaml:"wireguard"`
	// Network is the access network; the gateway takes its first address
	// and the hub gives clients the others.
	Network  netip.Prefix  `yaml:"network"`
	StateDir string        `yaml:"state_dir"`
	Grace    time.Duration `yaml:"grace"` // how long the gateway keeps grants without the hub
	// Metrics is a host:port to serve Prometheus metrics on (the audit
	// backlog, the hub's last contact); empty: none. Keep it on loopback
	// or a monitoring network.
	Metrics string         `yaml:"metrics"`
	Targets []TargetConfig `yaml:"targets"`
}

// HubConfig says how to reach the hub.
type HubConfig struct {
	URL         string `yaml:"url"`
	Fingerprint string `yaml:"fingerprint"` // hex SHA-256 of the hub certificate
	Token       string `yaml:"token"`
	TokenFile   string `yaml:"token_file"`
}

// WireGuardConfig is the gateway's WireGuard device.
type WireGuardConfig struct {
	// ListenPort is the UDP port; a file without listen_port gets
	// DefaultListenPort, and 0 binds any free port (Gateway.Endpoint says
	// which).
	ListenPort int `yaml:"listen_port"`
	// Endpoint is the host:port access tunnels dial; port 0 stands for the
	// port the gateway bound.
	Endpoint string `yaml:"endpoint"`
}

// TargetConfig is one production target and its access policy.
type TargetConfig struct {
	Name        string       `yaml:"name"`
	Protocol    string       `yaml:"protocol"`
	Description string       `yaml:"description"`
	Upstream    string       `yaml:"upstream"`
	Port        int          `yaml:"port"` // on the tunnel; 0: FirstTargetPort+i
	Credentials *Credentials `yaml:"credentials"`
	// Database is the postgres database (default: the credentials' user).
	Database string `yaml:"database"`
	// TLS makes a postgres target's upstream connection encrypted and
	// verified; with it the gateway never talks to the upstream in the clear.
	TLS *UpstreamTLS `yaml:"tls"`
	// LoginCanWrite is "accept" to serve a postgres target whose upstream
	// login can write; by default ("" or "refuse") the gateway checks the
	// login at start and at every session and refuses one that can write.
	LoginCanWrite string `yaml:"login_can_write"`
	// AllowFunctions (postgres) are the functions outside pg_catalog that
	// statements may call, schema-qualified ("app.order_total"): functions
	// are default-deny, and a volatility marker is not trusted.
	AllowFunctions []string `yaml:"allow_functions"`
	// Paths (http) are the only path prefixes that reach the upstream;
	// every other path is refused. Empty: every path.
	Paths []string `yaml:"paths"`
	// GraphQL (http) refuses GraphQL mutations and subscriptions in GET
	// query strings, and persisted queries.
	GraphQL bool `yaml:"graphql"`
	// AllowHeaders (http) are client headers passed to the upstream
	// besides the standard ones (Accept, Range, If-None-Match ...).
	AllowHeaders []string `yaml:"allow_headers"`
	// ReadOnlyUpstream says the upstream itself refuses writes (a
	// replica, a read-only login); tcp targets must set it.
	ReadOnlyUpstream bool `yaml:"read_only_upstream"`
	// Limits bound the connections served at once (see Limits).
	Limits       *Limits       `yaml:"limits"`
	MaxTTL       time.Duration `yaml:"max_ttl"`
	Approvers    []string      `yaml:"approvers"`
	ApproverRole string        `yaml:"approver_role"`
	AutoApprove  *AutoApprove  `yaml:"auto_approve"`
	BreakGlass   *BreakGlass   `yaml:"break_glass"`
}

// Credentials name the upstream's secret; the gateway injects it and
// never sends it to developers.
type Credentials struct {
	Env    string `yaml:"env"`    // an environment variable holding the secret
	File   string `yaml:"file"`   // or a file holding it (trailing newline ignored)
	Header string `yaml:"header"` // default Authorization
	// User is the login that goes with the secret (postgres: required;
	// redis: an ACL user, optional).
	User string `yaml:"user"`
	// Scheme formats the header: bearer ("Bearer SECRET", the default),
	// basic (SECRET is user:password) or raw (SECRET as it is).
	Scheme string `yaml:"scheme"`
}

// UpstreamTLS is how the gateway verifies a postgres upstream's certificate.
type UpstreamTLS struct {
	CAFile     string `yaml:"ca_file"`     // PEM roots to trust (default: the system's)
	ServerName string `yaml:"server_name"` // the name the certificate must carry (default: the upstream's host)
}

// AutoApprove grants a role's requests at once, up to TTL.
type AutoApprove struct {
	Role string        `yaml:"role"`
	TTL  time.Duration `yaml:"ttl"`
}

// BreakGlass allows emergency access, granted at once up to TTL.
type BreakGlass struct {
	TTL time.Duration `yaml:"ttl"`
}

// ConfigError is one problem of a configuration file, at a line where
// known.
type ConfigError struct {
	File string
	Line int // 0: unknown
	Msg  string
}

func (e *ConfigError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// ErrConfig matches every ConfigError.
var ErrConfig = errors.New("invalid gateway configuration")

// Is makes errors.Is(err, ErrConfig) true.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

// LoadConfig reads and validates a configuration file; every problem
// found is reported, each with its line.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading gateway configuration: %w", err)
	}
	return ParseConfig(path, b)
}

// ParseConfig reads a configuration from b; file names it in messages.
func ParseConfig(file string, b []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, &ConfigError{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	c := &Config{File: file}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			// Only the network is decoded as text by its own type.
			return nil, &ConfigError{File: file, Line: lineOf(&root, []any{"network"}),
				Msg: fmt.Sprintf("network: want a CIDR such as %s (%v)", DefaultNetwork, err)}
		}
		return nil, &ConfigError{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	v := &validator{file: file, root: &root}
	if !has(&root, "wireguard", "listen_port") {
		c.WireGuard.ListenPort = DefaultListenPort // 0 written out means any port
	}
	c.setDefaults()
	c.validate(v)
	if len(v.errs) > 0 {
		return nil, errors.Join(v.errs...)
	}
	return c, nil
}

func (c *Config) setDefaults() {
	if c.StateDir == "" {
		c.StateDir = DefaultStateDir(c.File)
	}
	if c.Grace == 0 {
		c.Grace = DefaultGrace
	}
	if !c.Network.IsValid() {
		c.Network = DefaultNetwork
	}
	for i := range c.Targets {
		if cr := c.Targets[i].Credentials; cr != nil {
			if cr.Header == "" {
				cr.Header = "Authorization"
			}
			if cr.Scheme == "" {
				cr.Scheme = "bearer"
			}
		}
	}
}

// GatewayAddress is the gateway's tunnel address: the network's first.
func (c *Config) GatewayAddress() netip.Addr { return c.Network.Masked().Addr().Next() }

// TargetAddress is the tunnel address of the i-th target's listener.
func (c *Config) TargetAddress(i int) netip.AddrPort {
	return netip.AddrPortFrom(c.GatewayAddress(), uint16(c.targetPort(i)))
}

func (c *Config) targetPort(i int) int {
	if p := c.Targets[i].Port; p != 0 {
		return p
	}
	return FirstTargetPort + i
}

// HubToken is the gateway token, from the file or the file's token.
func (c *Config) HubToken() (string, error) {
	if c.Hub.TokenFile == "" {
		return c.Hub.Token, nil
	}
	b, err := os.ReadFile(c.Hub.TokenFile)
	if err != nil {
		return "", fmt.Errorf("reading the gateway token: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// hubTargets is the targets as the hub sees them: no upstreams, no secrets.
func (c *Config) hubTargets() []hubapi.Target {
	ts := make([]hubapi.Target, 0, len(c.Targets))
	for i, t := range c.Targets {
		ht := hubapi.Target{
			Name: t.Name, Protocol: t.Protocol, Description: t.Description, MaxTTL: t.MaxTTL, Port: c.targetPort(i),
			Approvers: t.Approvers, ApproverRole: hubapi.Role(t.ApproverRole),
		}
		if t.AutoApprove != nil {
			ht.AutoApproveRole, ht.AutoApproveTTL = hubapi.Role(t.AutoApprove.Role), t.AutoApprove.TTL
		}
		if t.BreakGlass != nil {
			ht.BreakGlass, ht.BreakGlassTTL = true, t.BreakGlass.TTL
		}
		ts = append(ts, ht)
	}
	return ts
}

// validator collects errors with the line of the node they concern.
type validator struct {
	file string
	root *yaml.Node
	errs []error
}

// errorf records a problem at the node reached by path (mapping keys and
// sequence indices); a missing node reports its closest parent's line.
func (v *validator) errorf(path []any, format string, args ...any) {
	v.errs = append(v.errs, &ConfigError{File: v.file, Line: lineOf(v.root, path), Msg: fmt.Sprintf(format, args...)})
}

func lineOf(n *yaml.Node, path []any) int {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, p := range path {
		next := child(n, p)
		if next == nil {
			return line
		}
		n, line = next, next.Line
	}
	return line
}

// has tells whether the document sets the key at path.
func has(n *yaml.Node, path ...any) bool {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, p := range path {
		if n = child(n, p); n == nil {
			return false
		}
	}
	return true
}

func child(n *yaml.Node, p any) *yaml.Node {
	switch k := p.(type) {
	case string:
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == k {
					return n.Content[i+1]
				}
			}
		}
	case int:
		if n.Kind == yaml.SequenceNode && k < len(n.Content) {
			return n.Content[k]
		}
	}
	return nil
}

var (
	targetNameRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	fingerprintRE = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

func validRole(r string) bool {
	switch hubapi.Role(r) {
	case hubapi.RoleDeveloper, hubapi.RoleApprover, hubapi.RoleAdmin:
		return true
	}
	return false
}

func validHostPort(s string) bool {
	host, port, err := net.SplitHostPort(s)
	return err == nil && host != "" && port != ""
}

func validUpstreamURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
