package accesshub

import (
	"context"
	"net/http"

	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// The access half's routes on the hub's admin socket (hub.AdminClient):
//
//	GET    /v1/gateways            -> []Gateway
//	POST   /v1/gateways            {"name"} -> CreatedGateway (the token, shown once)
//	GET    /v1/grants              -> []hubapi.Request (pending and active)
//	POST   /v1/grants/revoke       hubapi.RevokeGrantRequest -> hubapi.Request
//	GET    /v1/audit/quarantine    -> []QuarantinedRecord
const adminGateway = "/v1/gateways"

// AdminClient is the hub's admin client with the access half's commands.
type AdminClient struct{ *hub.AdminClient }

// NewAdminClient returns a client for the hub serving dataDir.
func NewAdminClient(dataDir string) *AdminClient {
	return &AdminClient{hub.NewAdminClient(dataDir)}
}

// OpenAccess lists the pending requests and active grants.
func (c *AdminClient) OpenAccess(ctx context.Context) ([]hubapi.Request, error) {
	var rs []hubapi.Request
	return rs, c.Do(ctx, http.MethodGet, adminGrants, nil, &rs)
}

// RevokeGrant ends a grant or withdraws a pending request, as the hub.
func (c *AdminClient) RevokeGrant(ctx context.Context, id string) (hubapi.Request, error) {
	var r hubapi.Request
	return r, c.Do(ctx, http.MethodPost, adminGrantRevoke, hubapi.RevokeGrantRequest{ID: id}, &r)
}

// AddGateway creates a gateway identity; the token is shown only now.
func (c *AdminClient) AddGateway(ctx context.Context, name string) (CreatedGateway, error) {
	var gw CreatedGateway
	return gw, c.Do(ctx, http.MethodPost, adminGateway, addGatewayRequest{Name: name}, &gw)
}

// Gateways lists the gateways.
func (c *AdminClient) Gateways(ctx context.Context) ([]Gateway, error) {
	var gws []Gateway
	return gws, c.Do(ctx, http.MethodGet, adminGateway, nil, &gws)
}

// addGatewayRequest is the body of POST /v1/gateways.
type addGatewayRequest struct {
	Name string `json:"name"`
}

func (a *Access) adminAddGateway(w http.ResponseWriter, r *http.Request) error {
	var req addGatewayRequest
	if err := decode(w, r, &req, maxBody); err != nil {
		return err
	}
	gw, err := a.AddGateway(req.Name)
	if err != nil {
		return err
	}
	hub.WriteJSON(w, http.StatusOK, gw)
	return nil
}

func (a *Access) adminListGateways(w http.ResponseWriter, _ *http.Request) error {
	gws, err := a.Gateways()
	if err != nil {
		return err
	}
	hub.WriteJSON(w, http.StatusOK, nonNil(gws))
	return nil
}

func gatewayAddAudit(name string) hubapi.AuditRecord {
	return hub.AdminRecord("gateway_add", map[string]string{"gateway": name})
}
