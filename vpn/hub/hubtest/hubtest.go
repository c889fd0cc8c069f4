// Package hubtest runs a real hub (its store, API, admin socket and
// rules) in process, with its access half (package accesshub), for the
// tests of the packages that talk to one: the node, the access client,
// the gateway, the CLI and the UI.
package hubtest

import (
	"context"
	"testing"

	"github.com/devenv-dev/devenv/access/accesshub"
	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
	"github.com/devenv-dev/devenv/vpn/wg"
)

// Hub is a serving hub, its access half and its admin client.
type Hub struct {
	*hub.Hub
	*accesshub.Access
	Admin *accesshub.AdminClient
	Dir   string // its data directory
}

// Start serves a hub on 127.0.0.1 (a port of its choosing) until the test
// ends, and returns once it serves. Options left zero get: a data directory of the test's, and a
// WireGuard device that only records what the hub sets (NewDevice; give
// a real one, e.g. Netstack, to carry traffic).
func Start(t testing.TB, o hub.Options) *Hub {
	t.Helper()
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.NewDevice == nil {
		o.NewDevice = func(c wg.Config) (wg.Device, error) { return &quietDevice{cfg: c}, nil }
	}
	access := accesshub.New(accesshub.Options{})
	o.Extensions = append(o.Extensions, access)
	h, err := hub.New(o)
	if err != nil {
		t.Fatalf("starting a hub: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- h.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("the hub's Serve: %v", err)
		}
		h.Close()
	})
	select {
	case <-h.Ready():
	case err := <-served:
		served <- err // for the cleanup
		t.Fatalf("the hub stopped before it served: %v", err)
	}
	return &Hub{Hub: h, Access: access, Admin: accesshub.NewAdminClient(o.DataDir), Dir: o.DataDir}
}

// Netstack opens a userspace WireGuard device on netstack: no root, real
// traffic. Give it as Options.NewDevice.
func Netstack(c wg.Config) (wg.Device, error) {
	return wg.Open(wg.Options{Config: c, Backend: wg.BackendNetstack})
}

// Gateway adds a gateway to the hub and returns a client with its token.
func (h *Hub) Gateway(t testing.TB, name string) *hubclient.Client {
	t.Helper()
	gw, err := h.AddGateway(name)
	if err != nil {
		t.Fatalf("adding gateway %s: %v", name, err)
	}
	return h.Client(gw.Token)
}

// Client is an API client of the hub with token ("" for none).
func (h *Hub) Client(token string) *hubclient.Client {
	return hubclient.New("https://"+h.Addr().String(), h.Fingerprint(), token)
}

// Invite adds user with role (unless the hub knows them) and returns a
// fresh invite for them.
func (h *Hub) Invite(t testing.TB, user string, role hubapi.Role) string {
	t.Helper()
	users, err := h.Users()
	if err != nil {
		t.Fatal(err)
	}
	known := false
	for _, u := range users {
		known = known || u.Name == user
	}
	if !known {
		if _, err := h.AddUser(user, role); err != nil {
			t.Fatalf("adding user %s: %v", user, err)
		}
	}
	inv, err := h.CreateInvite(hub.InviteOptions{User: user})
	if err != nil {
		t.Fatalf("inviting %s: %v", user, err)
	}
	return inv.Invite
}

// quietDevice is a WireGuard device that carries nothing: the hub's peer
// changes go nowhere.
type quietDevice struct{ cfg wg.Config }

func (d *quietDevice) Backend() wg.Backend            { return "hubtest" }
func (d *quietDevice) Name() string                   { return "hubtest" }
func (d *quietDevice) PublicKey() wg.Key              { return d.cfg.PrivateKey.PublicKey() }
func (d *quietDevice) ListenPort() int                { return d.cfg.ListenPort }
func (d *quietDevice) SetPeer(wg.Peer) error          { return nil }
func (d *quietDevice) RemovePeer(wg.Key) error        { return nil }
func (d *quietDevice) Peers() ([]wg.PeerStats, error) { return nil, nil }
func (d *quietDevice) Close() error                   { return nil }
