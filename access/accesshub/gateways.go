package accesshub

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// gatewayRecord is a gateway's identity and what it announced last.
type gatewayRecord struct {
	Name       string    `json:"name"`
	TokenHash  string    `json:"token_hash"`
	Created    time.Time `json:"created"`
	PublicKey  string    `json:"public_key,omitempty"`
	Endpoint   string    `json:"endpoint,omitempty"`
	Network    string    `json:"network,omitempty"` // the access network, e.g. 100.101.0.0/16
	Registered time.Time `json:"registered,omitzero"`
}

// Gateway is a gateway as the hub's administrator sees it.
type Gateway struct {
	Name       string    `json:"name"`
	Created    time.Time `json:"created"`
	PublicKey  string    `json:"public_key,omitempty"`
	Endpoint   string    `json:"endpoint,omitempty"`
	Network    string    `json:"network,omitempty"`
	Registered time.Time `json:"registered,omitzero"` // zero until the gateway first registers
	Targets    []string  `json:"targets,omitempty"`
}

// CreatedGateway is a new gateway identity; Token is shown only this once.
type CreatedGateway struct {
	Name  string `json:"name"`
	Token string `json:"token"`
	// HubURL and Fingerprint are what the gateway's configuration needs
	// besides the token to reach this hub and trust its certificate.
	HubURL      string `json:"hub_url"`
	Fingerprint string `json:"fingerprint"`
}

// AddGateway creates a gateway identity and returns its token, of which
// the hub keeps only the hash.
func (a *Access) AddGateway(name string) (CreatedGateway, error) {
	if !hub.ValidName(name) {
		return CreatedGateway{}, hub.ErrBadRequest.With("gateway name %q: use letters, digits, '.', '_' and '-', up to 63, starting with a letter or digit", name)
	}
	token := hub.NewSecret(32)
	gw := gatewayRecord{Name: name, TokenHash: hex.EncodeToString(hub.HashSecret(token)), Created: a.clock.Now().UTC()}
	err := a.db.Update(func(tx *bolt.Tx) error {
		gws := tx.Bucket(bucketGateways)
		if gws.Get([]byte(name)) != nil {
			return ErrGatewayExists.With("gateway %q exists; pick another name", name)
		}
		if err := tx.Bucket(bucketGWTokens).Put([]byte(gw.TokenHash), []byte(name)); err != nil {
			return err
		}
		if err := hub.PutJSON(gws, name, gw); err != nil {
			return err
		}
		return hub.AppendAudit(tx, gatewayAddAudit(name))
	})
	if err != nil {
		return CreatedGateway{}, err
	}
	a.log.Info("gateway added", "gateway", name)
	return CreatedGateway{Name: name, Token: token, HubURL: a.hub.PublicURL(), Fingerprint: a.hub.Fingerprint()}, nil
}

// Gateways lists the gateways by name with their targets.
func (a *Access) Gateways() ([]Gateway, error) {
	var out []Gateway
	err := a.db.View(func(tx *bolt.Tx) error {
		targets, err := allTargets(tx)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketGateways).ForEach(func(k, v []byte) error {
			var g gatewayRecord
			if err := json.Unmarshal(v, &g); err != nil {
				return fmt.Errorf("reading gateway %q: %w", k, err)
			}
			gw := Gateway{Name: g.Name, Created: g.Created, PublicKey: g.PublicKey, Endpoint: g.Endpoint,
				Network: g.Network, Registered: g.Registered}
			for _, t := range targets {
				if t.Gateway == g.Name {
					gw.Targets = append(gw.Targets, t.Name)
				}
			}
			out = append(out, gw)
			return nil
		})
	})
	return out, err
}

// gatewayByToken finds the gateway a token belongs to.
func gatewayByToken(tx *bolt.Tx, token string) (gatewayRecord, error) {
	unknown := hub.ErrUnauthorized.With("the hub does not know this gateway token; create one on the hub with devenv hub gateway add NAME")
	if token == "" {
		return gatewayRecord{}, unknown
	}
	name := tx.Bucket(bucketGWTokens).Get([]byte(hex.EncodeToString(hub.HashSecret(token))))
	if name == nil {
		return gatewayRecord{}, unknown
	}
	var g gatewayRecord
	ok, err := hub.GetJSON(tx.Bucket(bucketGateways), string(name), &g)
	if err == nil && !ok {
		err = unknown
	}
	return g, err
}

// RegisterTargets records what the token's gateway announces: its
// WireGuard key, endpoint, access network and targets. Targets it no
// longer lists are dropped; ports left 0 are assigned (hubapi.TargetPort).
func (a *Access) RegisterTargets(token string, reg hubapi.RegisterTargets) (hubapi.GatewayInfo, error) {
	var name string
	err := a.accessUpdate(func(tx *bolt.Tx, fx *accessEffects) error {
		g, err := gatewayByToken(tx, token)
		if err != nil {
			return err
		}
		name = g.Name
		network, err := checkRegistration(reg)
		if err != nil {
			return err
		}
		if g.Network != "" && g.Network != network.String() && hasGrants(tx, g.Name) {
			return hub.ErrBadRequest.With("gateway %s has active grants in %s; keep that network until they end, or revoke them", g.Name, g.Network)
		}
		if err := a.storeTargets(tx, g.Name, reg.Targets); err != nil {
			return err
		}
		g.PublicKey, g.Endpoint, g.Network, g.Registered = reg.PublicKey, reg.Endpoint, network.String(), a.clock.Now().UTC()
		if err := hub.PutJSON(tx.Bucket(bucketGateways), g.Name, g); err != nil {
			return err
		}
		fx.changed = true
		return hub.AppendAudit(tx, hubapi.AuditRecord{Time: g.Registered, Actor: gatewayActor(g.Name), Action: "register",
			Detail: map[string]string{"targets": targetNames(reg.Targets), "endpoint": g.Endpoint, "network": g.Network, "public_key": g.PublicKey}})
	})
	if err != nil {
		return hubapi.GatewayInfo{}, err
	}
	a.log.Info("gateway registered", "gateway", name, "targets", len(reg.Targets), "endpoint", reg.Endpoint)
	return hubapi.GatewayInfo{Name: name}, nil
}

func gatewayActor(name string) string { return "gateway:" + name }

func targetNames(ts []hubapi.Target) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name
	}
	return strings.Join(names, ",")
}

// checkRegistration validates a registration and returns its network.
func checkRegistration(reg hubapi.RegisterTargets) (netip.Prefix, error) {
	if _, err := wgtypes.ParseKey(reg.PublicKey); err != nil {
		return netip.Prefix{}, hub.ErrBadRequest.With("public key: not a base64 WireGuard key")
	}
	if _, port, err := net.SplitHostPort(reg.Endpoint); err != nil || port == "" {
		return netip.Prefix{}, hub.ErrBadRequest.With("endpoint %q: want host:port that developers' tunnels can dial", reg.Endpoint)
	}
	network, err := netip.ParsePrefix(reg.Network)
	if err != nil || hub.Capacity(network.Masked()) < 1 {
		return netip.Prefix{}, hub.ErrBadRequest.With("network %q: want a CIDR with room for clients, such as 100.101.0.0/16", reg.Network)
	}
	ports, names := map[int]string{}, map[string]bool{}
	for i, t := range reg.Targets {
		if err := checkTarget(t); err != nil {
			return network, err
		}
		if names[t.Name] {
			return network, hub.ErrBadRequest.With("target %s: named twice; give each target its own name", t.Name)
		}
		names[t.Name] = true
		p := hubapi.TargetPort(reg.Targets, i)
		if p < 1 || p > 65535 {
			return network, hub.ErrBadRequest.With("target %s: port %d: want 1-65535", t.Name, p)
		}
		if other, dup := ports[p]; dup {
			return network, hub.ErrBadRequest.With("targets %s and %s: both on port %d; give each its own", other, t.Name, p)
		}
		ports[p] = t.Name
	}
	return network.Masked(), nil
}

var knownProtocols = []string{hubapi.ProtocolHTTP, hubapi.ProtocolTCP, hubapi.ProtocolPostgres, hubapi.ProtocolRedis}

func checkTarget(t hubapi.Target) error {
	if !hub.ValidName(t.Name) {
		return hub.ErrBadRequest.With("target name %q: use letters, digits, '.', '_' and '-', up to 63, starting with a letter or digit", t.Name)
	}
	if !slices.Contains(knownProtocols, t.Protocol) {
		return hub.ErrBadRequest.With("target %s: protocol %q: use one of %s", t.Name, t.Protocol, strings.Join(knownProtocols, ", "))
	}
	if t.MaxTTL <= 0 || t.AutoApproveTTL < 0 || t.BreakGlassTTL < 0 {
		return hub.ErrBadRequest.With("target %s: give a positive max TTL, and TTL caps that are not negative", t.Name)
	}
	for _, r := range []hubapi.Role{t.ApproverRole, t.AutoApproveRole} {
		if r != "" && r != hubapi.RoleDeveloper && r != hubapi.RoleApprover && r != hubapi.RoleAdmin {
			return hub.ErrBadRequest.With("target %s: role %q: use developer, approver or admin", t.Name, r)
		}
	}
	return nil
}

// storeTargets replaces the gateway's targets inside tx.
func (a *Access) storeTargets(tx *bolt.Tx, gateway string, targets []hubapi.Target) error {
	b := tx.Bucket(bucketTargets)
	old, err := allTargets(tx)
	if err != nil {
		return err
	}
	for _, t := range old {
		if t.Gateway == gateway {
			if err := b.Delete([]byte(t.Name)); err != nil {
				return err
			}
		} else if slices.ContainsFunc(targets, func(n hubapi.Target) bool { return n.Name == t.Name }) {
			return ErrTargetTaken.With("gateway %s already registered a target named %s; rename one of them", t.Gateway, t.Name)
		}
	}
	for i, t := range targets {
		t.Gateway, t.Port = gateway, hubapi.TargetPort(targets, i)
		if err := hub.PutJSON(b, t.Name, t); err != nil {
			return err
		}
	}
	return nil
}

// getTarget reads a target; ok is false when there is none.
func getTarget(tx *bolt.Tx, name string) (hubapi.Target, bool, error) {
	var t hubapi.Target
	ok, err := hub.GetJSON(tx.Bucket(bucketTargets), name, &t)
	return t, ok, err
}

// allTargets lists every target by name.
func allTargets(tx *bolt.Tx) ([]hubapi.Target, error) {
	var out []hubapi.Target
	err := tx.Bucket(bucketTargets).ForEach(func(k, v []byte) error {
		var t hubapi.Target
		if err := json.Unmarshal(v, &t); err != nil {
			return fmt.Errorf("reading target %q: %w", k, err)
		}
		out = append(out, t)
		return nil
	})
	return out, err
}

// Targets lists the targets for the token's device.
func (a *Access) Targets(token string) ([]hubapi.Target, error) {
	var out []hubapi.Target
	err := a.db.View(func(tx *bolt.Tx) error {
		if _, err := hub.CallerOf(tx, token); err != nil {
			return err
		}
		var err error
		out, err = allTargets(tx)
		return err
	})
	return out, err
}

// gatewayAddress is the gateway's own tunnel address: its network's first host.
func gatewayAddress(network string) (netip.Addr, error) {
	p, err := netip.ParsePrefix(network)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("stored access network %q: %w", network, err)
	}
	return hub.FirstHost(p), nil
}

// targetAddress is ip:port of a target's listener on the gateway's tunnel.
func targetAddress(gw netip.Addr, port int) string {
	return net.JoinHostPort(gw.String(), strconv.Itoa(port))
}
