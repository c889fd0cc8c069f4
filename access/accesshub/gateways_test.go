package accesshub

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

func TestGatewayTargets(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	var ts []hubapi.Target
	if err := ah.client.do(t.Context(), http.MethodGet, hubapi.PathTargets, ah.tokens["alice"], nil, &ts); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range ts {
		got = append(got, fmt.Sprintf("%s@%s:%d", tg.Name, tg.Gateway, tg.Port))
	}
	want := []string{"db-ro@gw1:5432", "logs@gw1:10001", "prod-db@gw1:10000"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
	if err := ah.client.do(t.Context(), http.MethodGet, hubapi.PathTargets, "", nil, &ts); errCode(err) != "unauthorized" {
		t.Errorf("targets without a token: %v", err)
	}
	// Re-registering drops targets the gateway no longer lists.
	ah.register(t, ah.gwToken, testTargets()[:1])
	ah.client.do(t.Context(), http.MethodGet, hubapi.PathTargets, ah.tokens["alice"], nil, &ts)
	if len(ts) != 1 || ts[0].Name != "prod-db" {
		t.Errorf("after re-registering one target: %+v", ts)
	}
	gws, err := ah.admin.Gateways(t.Context())
	if err != nil || len(gws) != 1 || gws[0].Endpoint != "gw.example:51821" || !slices.Equal(gws[0].Targets, []string{"prod-db"}) {
		t.Errorf("admin's gateway list %+v, %v", gws, err)
	}
}

func TestGatewayRegistrationRefusals(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	other, err := ah.admin.AddGateway(t.Context(), "gw2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ah.admin.AddGateway(t.Context(), "gw2"); errCode(err) != "gateway_exists" {
		t.Errorf("adding gw2 twice: %v", err)
	}
	ok := hubapi.RegisterTargets{PublicKey: newPublicKey(t), Endpoint: "gw2.example:51821", Network: "100.102.0.0/24"}
	target := func(name string, port int) hubapi.Target {
		return hubapi.Target{Name: name, Protocol: hubapi.ProtocolHTTP, MaxTTL: time.Hour, Port: port}
	}
	tests := []struct {
		name string
		edit func(*hubapi.RegisterTargets)
		code string
		msg  string
	}{
		{"taken", func(r *hubapi.RegisterTargets) { r.Targets = []hubapi.Target{target("prod-db", 0)} }, "target_taken", "gw1"},
		{"same port", func(r *hubapi.RegisterTargets) { r.Targets = []hubapi.Target{target("a", 10001), target("b", 0)} }, "bad_request", "port 10001"},
		{"same name", func(r *hubapi.RegisterTargets) { r.Targets = []hubapi.Target{target("a", 0), target("a", 0)} }, "bad_request", "named twice"},
		{"no max TTL", func(r *hubapi.RegisterTargets) { r.Targets = []hubapi.Target{{Name: "a", Protocol: "http"}} }, "bad_request", "max TTL"},
		{"protocol", func(r *hubapi.RegisterTargets) { r.Targets = []hubapi.Target{{Name: "a", Protocol: "ftp", MaxTTL: 1}} }, "bad_request", "ftp"},
		{"role", func(r *hubapi.RegisterTargets) {
			r.Targets = []hubapi.Target{{Name: "a", Protocol: "http", MaxTTL: 1, ApproverRole: "boss"}}
		}, "bad_request", "boss"},
		{"key", func(r *hubapi.RegisterTargets) { r.PublicKey = "k" }, "bad_request", "public key"},
		{"endpoint", func(r *hubapi.RegisterTargets) { r.Endpoint = "gw2" }, "bad_request", "endpoint"},
		{"network", func(r *hubapi.RegisterTargets) { r.Network = "100.102.0.0/32" }, "bad_request", "network"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := ok
			tt.edit(&reg)
			err := ah.client.do(t.Context(), http.MethodPut, hubapi.PathGatewayTargets, other.Token, reg, nil)
			wantCode(t, err, tt.code)
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message %q does not say %q", err, tt.msg)
			}
		})
	}
}

func TestGatewayNetworkKeptWhileGranted(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	r := ah.granted(t, "prod-db", time.Hour)
	reg := hubapi.RegisterTargets{PublicKey: ah.gwKey, Endpoint: "gw.example:51821", Network: "100.109.0.0/24", Targets: testTargets()}
	err := ah.client.do(t.Context(), http.MethodPut, hubapi.PathGatewayTargets, ah.gwToken, reg, nil)
	if errCode(err) != "bad_request" || !strings.Contains(err.Error(), "active grants") {
		t.Errorf("moving the network under a grant: %v", err)
	}
	ah.decide(t, "alice", hubapi.PathRevokeGrant, hubapi.RevokeGrantRequest{ID: r.ID})
	if err := ah.client.do(t.Context(), http.MethodPut, hubapi.PathGatewayTargets, ah.gwToken, reg, nil); err != nil {
		t.Errorf("moving the network without grants: %v", err)
	}
	if g := ah.granted(t, "prod-db", time.Hour); g.State != hubapi.StateApproved {
		t.Fatal(g)
	} else if gr, _ := ah.grant(t, "alice", g.ID, false); gr.ClientAddress != "100.109.0.2/32" || gr.Gateway.Address != "100.109.0.1/32" {
		t.Errorf("grant in the new network: %+v", gr)
	}
}

// TestGatewayAddAudited: adding a gateway on the admin socket is in the
// trail, as the hub's action, in the transaction that adds it.
func TestGatewayAddAudited(t *testing.T) {
	th := startHub(t, testOptions{})
	if _, err := th.admin.AddGateway(t.Context(), "gw9"); err != nil {
		t.Fatal(err)
	}
	if _, err := th.admin.AddGateway(t.Context(), "gw9"); errCode(err) != "gateway_exists" {
		t.Fatalf("adding gw9 twice: %v", err)
	}
	recs, err := th.admin.Audit(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifyWhole(recs); err != nil {
		t.Fatal(err)
	}
	var adds []hubapi.AuditRecord
	for _, r := range recs {
		if r.Action == "gateway_add" {
			adds = append(adds, r)
		}
	}
	if len(adds) != 1 || adds[0].Actor != hub.ActorHub || adds[0].Detail["gateway"] != "gw9" || adds[0].Detail["via"] != "admin socket" {
		t.Errorf("gateway_add records: %+v; want one, by the hub, of gw9, via the admin socket", adds)
	}
}
