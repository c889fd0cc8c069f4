package hub

import (
	"context"
	"net/http"
)

// Info is what clients and gateways need to know of a hub, for an admin to
// hand out at any time: gateway.yaml's hub: line takes URL and
// Fingerprint.
type Info struct {
	URL         string `json:"url"`         // the public HTTPS URL invites carry
	Fingerprint string `json:"fingerprint"` // hex SHA-256 of the hub's certificate
	PublicKey   string `json:"public_key"`  // the hub's WireGuard key
	Endpoint    string `json:"endpoint"`    // host:port devices dial for WireGuard
	Address     string `json:"address"`     // the hub's own tunnel address
	Network     string `json:"network"`     // the virtual LAN
	Interface   string `json:"interface"`   // the hub's WireGuard interface name, "" unless serving
	Metrics     string `json:"metrics,omitempty"`
}

const adminInfo = "/v1/info"

// Info describes this hub.
func (h *Hub) Info() Info {
	peer := h.HubPeer()
	i := Info{URL: h.opts.PublicURL, Fingerprint: h.fingerprint, PublicKey: peer.PublicKey,
		Endpoint: peer.Endpoint, Address: peer.Address, Network: h.opts.Network.String()}
	h.applyMu.Lock()
	if h.dev != nil {
		i.Interface = h.dev.Name()
	}
	h.applyMu.Unlock()
	if a := h.MetricsAddr(); a != nil {
		i.Metrics = a.String()
	}
	return i
}

func (h *Hub) adminInfo(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, h.Info())
	return nil
}

// Info asks the running hub to describe itself.
func (c *AdminClient) Info(ctx context.Context) (Info, error) {
	var i Info
	return i, c.do(ctx, http.MethodGet, adminInfo, nil, &i)
}
