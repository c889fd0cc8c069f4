package hubclient

import (
	"context"
	"net/http"
	"strconv"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// The calls of a production-access gateway, made with a gateway token.

// RegisterTargets announces the gateway's WireGuard key, endpoint, access
// network and targets. Gateways call it at start and after losing the hub.
func (c *Client) RegisterTargets(ctx context.Context, r hubapi.RegisterTargets) (hubapi.GatewayInfo, error) {
	var info hubapi.GatewayInfo
	err := c.do(ctx, callTimeout, http.MethodPut, hubapi.PathGatewayTargets, r, &info)
	return info, err
}

// GatewayGrants returns the gateway's active grants once their version is
// greater than since, long-polling the hub (about 25 s at most); since 0
// returns the current set at once.
func (c *Client) GatewayGrants(ctx context.Context, since uint64) (hubapi.GatewayGrants, error) {
	var gg hubapi.GatewayGrants
	path := hubapi.PathGatewayGrants + "?since=" + strconv.FormatUint(since, 10)
	err := c.do(ctx, netMapTimeout, http.MethodGet, path, nil, &gg)
	return gg, err
}

// GatewayAudit delivers a batch of the gateway's audit records; the hub
// chains them (Seq, PrevHash and Hash are left empty).
func (c *Client) GatewayAudit(ctx context.Context, records []hubapi.AuditRecord) error {
	return c.do(ctx, callTimeout, http.MethodPost, hubapi.PathGatewayAudit, records, nil)
}
