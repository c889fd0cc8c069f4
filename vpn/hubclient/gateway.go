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

// GatewayAudit delivers a batch of the gateway's audit records (Seq,
// PrevHash and Hash left empty). The hub takes every record: it chains
// those it can attribute and says which it quarantined or dropped. An
// older hub answers nothing, which reads as all chained.
func (c *Client) GatewayAudit(ctx context.Context, records []hubapi.AuditRecord) (hubapi.GatewayAuditResult, error) {
	res := hubapi.GatewayAuditResult{Chained: -1}
	err := c.do(ctx, callTimeout, http.MethodPost, hubapi.PathGatewayAudit, records, &res)
	if res.Chained < 0 {
		res.Chained = len(records) - len(res.Quarantined) - len(res.Dropped)
	}
	return res, err
}
