package gateway

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/devenv-dev/devenv/access/proxy/httpproxy"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// validate checks the whole file, recording every problem in v.
func (c *Config) validate(v *validator) {
	c.validateHub(v)
	if !validHostPort(c.WireGuard.Endpoint) {
		v.errorf([]any{"wireguard", "endpoint"}, "wireguard.endpoint %q: set the host:port developers' access tunnels dial, e.g. gw.example.com:%d",
			c.WireGuard.Endpoint, DefaultListenPort)
	}
	if p := c.WireGuard.ListenPort; p < 0 || p > 65535 {
		v.errorf([]any{"wireguard", "listen_port"}, "wireguard.listen_port %d: want 1-65535, or 0 for any free port", p)
	}
	if c.Network.Bits() > c.Network.Addr().BitLen()-2 {
		v.errorf([]any{"network"}, "network %s is too small for a gateway and its clients; use e.g. %s", c.Network, DefaultNetwork)
	}
	if c.Metrics != "" && !validHostPort(c.Metrics) {
		v.errorf([]any{"metrics"}, "metrics %q: want the host:port to serve metrics on, e.g. 127.0.0.1:9471", c.Metrics)
	}
	if c.Grace < 0 {
		v.errorf([]any{"grace"}, "grace %v: want a positive duration such as 30s", c.Grace)
	}
	if len(c.Targets) == 0 {
		v.errorf([]any{"targets"}, "no targets: name at least one under targets:")
	}
	if len(c.Targets) > 65535-FirstTargetPort {
		v.errorf([]any{"targets"}, "%d targets: at most %d", len(c.Targets), 65535-FirstTargetPort)
		return
	}
	names, ports := map[string]bool{}, map[int]string{}
	for i := range c.Targets {
		t := &c.Targets[i]
		if names[t.Name] {
			v.errorf([]any{"targets", i, "name"}, "target %q is named twice", t.Name)
		}
		names[t.Name] = true
		if t.Port < 0 || t.Port > 65535 {
			v.errorf([]any{"targets", i, "port"}, "target %q: port %d: want 1-65535", t.Name, t.Port)
		} else if other, ok := ports[c.targetPort(i)]; ok {
			v.errorf([]any{"targets", i, "port"}, "target %q: port %d is target %q's too", t.Name, c.targetPort(i), other)
		}
		ports[c.targetPort(i)] = t.Name
		t.validate(v, i)
	}
}

func (c *Config) validateHub(v *validator) {
	h := c.Hub
	if !strings.HasPrefix(h.URL, "https://") || !validUpstreamURL(h.URL) {
		v.errorf([]any{"hub", "url"}, "hub.url %q: want the hub's https:// URL", h.URL)
	}
	if !fingerprintRE.MatchString(strings.ToLower(strings.ReplaceAll(h.Fingerprint, ":", ""))) {
		v.errorf([]any{"hub", "fingerprint"}, "hub.fingerprint: want the hex SHA-256 of the hub's certificate (devenv hub serve prints it)")
	}
	if (h.Token == "") == (h.TokenFile == "") {
		v.errorf([]any{"hub"}, "hub: set one of token and token_file (the gateway token from the hub)")
	}
}

// validate checks the i-th target.
func (t *TargetConfig) validate(v *validator, i int) {
	at := func(k ...any) []any { return append([]any{"targets", i}, k...) }
	if !targetNameRE.MatchString(t.Name) {
		v.errorf(at("name"), "target name %q: use lowercase letters, digits, _ and -", t.Name)
	}
	what := fmt.Sprintf("target %q", t.Name)
	switch t.Protocol {
	case hubapi.ProtocolHTTP:
		if !validUpstreamURL(t.Upstream) {
			v.errorf(at("upstream"), "%s: upstream %q: want an http:// or https:// URL", what, t.Upstream)
		}
	case hubapi.ProtocolTCP:
		if !validHostPort(t.Upstream) {
			v.errorf(at("upstream"), "%s: upstream %q: want host:port", what, t.Upstream)
		}
		if !t.ReadOnlyUpstream {
			v.errorf(at("protocol"), "%s: tcp targets need read_only_upstream: true — devenv cannot enforce read-only on opaque bytes, "+
				"so point it at an upstream that refuses writes itself (a read replica, a read-only login)", what)
		}
		if t.Credentials != nil {
			v.errorf(at("credentials"), "%s: tcp targets take no credentials: the bytes are relayed as they are", what)
		}
	case hubapi.ProtocolRedis:
		if !validHostPort(t.Upstream) {
			v.errorf(at("upstream"), "%s: upstream %q: want host:port", what, t.Upstream)
		}
	case hubapi.ProtocolPostgres:
		if !validHostPort(t.Upstream) {
			v.errorf(at("upstream"), "%s: upstream %q: want host:port", what, t.Upstream)
		}
		if t.Credentials == nil || t.Credentials.User == "" {
			v.errorf(at("credentials"), "%s: postgres targets need credentials with a user (a read-only role) and its password (env or file)", what)
		}
	default:
		v.errorf(at("protocol"), "%s: protocol %q: use http, tcp, postgres or redis", what, t.Protocol)
	}
	switch {
	case t.LoginCanWrite != "" && t.LoginCanWrite != "accept" && t.LoginCanWrite != "refuse":
		v.errorf(at("login_can_write"), "%s: login_can_write %q: use accept or refuse (the default)", what, t.LoginCanWrite)
	case len(t.AllowFunctions) > 0 && t.Protocol != hubapi.ProtocolPostgres:
		v.errorf(at("allow_functions"), "%s: allow_functions applies to postgres targets", what)
	case t.LoginCanWrite != "" && t.Protocol != hubapi.ProtocolPostgres:
		v.errorf(at("login_can_write"), "%s: login_can_write applies to postgres targets, whose login the gateway inspects", what)
	}
	t.validateHTTPRules(v, at, what)
	if t.TLS != nil && t.Protocol != hubapi.ProtocolPostgres {
		v.errorf(at("tls"), "%s: tls applies to postgres targets; an http target uses an https:// upstream", what)
	}
	if l := t.Limits; l != nil {
		l.validate(v, at, what, t.Protocol)
	}
	t.validatePolicy(v, at, what)
	if cr := t.Credentials; cr != nil {
		cr.validate(v, at, what)
	}
}

// validateHTTPRules checks an http target's paths, graphql and
// allow_headers; other protocols take none.
func (t *TargetConfig) validateHTTPRules(v *validator, at func(...any) []any, what string) {
	if t.Protocol != hubapi.ProtocolHTTP {
		for _, o := range []struct {
			key string
			set bool
		}{{"paths", len(t.Paths) > 0}, {"graphql", t.GraphQL}, {"allow_headers", len(t.AllowHeaders) > 0}} {
			if o.set {
				v.errorf(at(o.key), "%s: %s applies to http targets", what, o.key)
			}
		}
		return
	}
	for j, p := range t.Paths {
		if err := httpproxy.CheckPathPrefix(p); err != nil {
			v.errorf(at("paths", j), "%s: paths: %v", what, err)
		}
	}
	for j, h := range t.AllowHeaders {
		if err := httpproxy.CheckHeaderName(h); err != nil {
			v.errorf(at("allow_headers", j), "%s: allow_headers: %v", what, err)
		} else if cr := t.Credentials; cr != nil && http.CanonicalHeaderKey(h) == http.CanonicalHeaderKey(cr.Header) {
			v.errorf(at("allow_headers", j), "%s: allow_headers: %s carries the injected credentials", what, h)
		}
	}
}

func (t *TargetConfig) validatePolicy(v *validator, at func(...any) []any, what string) {
	if t.MaxTTL <= 0 {
		v.errorf(at("max_ttl"), "%s: set max_ttl, the longest grant, e.g. 1h", what)
	}
	if t.ApproverRole != "" && !validRole(t.ApproverRole) {
		v.errorf(at("approver_role"), "%s: approver_role %q: use developer, approver or admin", what, t.ApproverRole)
	}
	if a := t.AutoApprove; a != nil {
		if !validRole(a.Role) {
			v.errorf(at("auto_approve", "role"), "%s: auto_approve.role %q: use developer, approver or admin", what, a.Role)
		}
		if a.TTL < 0 || a.TTL > t.MaxTTL {
			v.errorf(at("auto_approve", "ttl"), "%s: auto_approve.ttl %v: want a duration up to max_ttl (%v); leave it out for max_ttl", what, a.TTL, t.MaxTTL)
		}
	}
	if b := t.BreakGlass; b != nil && (b.TTL < 0 || b.TTL > t.MaxTTL) {
		v.errorf(at("break_glass", "ttl"), "%s: break_glass.ttl %v: want a short duration up to max_ttl (%v); leave it out for the hub's default (%v)",
			what, b.TTL, t.MaxTTL, hubapi.DefaultBreakGlassTTL)
	}
}

func (cr *Credentials) validate(v *validator, at func(...any) []any, what string) {
	if (cr.Env == "") == (cr.File == "") {
		v.errorf(at("credentials"), "%s: credentials: set one of env and file", what)
	}
	switch cr.Scheme {
	case "bearer", "basic", "raw":
	default:
		v.errorf(at("credentials", "scheme"), "%s: credentials.scheme %q: use bearer, basic or raw", what, cr.Scheme)
	}
}
