package vpn

import (
	"context"
	"errors"
	"os"
	"time"
)

// NodeStatus is what devenv vpn status shows.
type NodeStatus struct {
	Up            bool          `json:"up"`
	Revoked       bool          `json:"revoked,omitempty"`
	Pid           int           `json:"pid,omitempty"` // the running node's process
	Name          string        `json:"name"`
	User          string        `json:"user,omitempty"`
	Address       string        `json:"address"`
	Network       string        `json:"network"`
	PublicKey     string        `json:"public_key"`
	Hub           string        `json:"hub"`                 // the hub's URL
	HubEndpoint   string        `json:"hub_endpoint"`        // its WireGuard endpoint
	HubError      string        `json:"hub_error,omitempty"` // why the hub does not answer, while it does not
	Backend       string        `json:"backend,omitempty"`
	Interface     string        `json:"interface,omitempty"`
	SOCKS         string        `json:"socks,omitempty"`
	NetMapVersion uint64        `json:"netmap_version"`
	Peers         []PeerStatus  `json:"peers"`             // WireGuard peers: the hub
	Devices       []DeviceEntry `json:"devices,omitempty"` // the other devices on the network
	Forwards      []PortForward `json:"forwards,omitempty"`
}

// PeerStatus is one WireGuard peer as the device reports it.
type PeerStatus struct {
	PublicKey     string    `json:"public_key"`
	Endpoint      string    `json:"endpoint"`
	AllowedIPs    []string  `json:"allowed_ips"`
	LastHandshake time.Time `json:"last_handshake"` // zero: never
	RxBytes       int64     `json:"rx_bytes"`
	TxBytes       int64     `json:"tx_bytes"`
}

// DeviceEntry is another device on the network, reached through the hub.
type DeviceEntry struct {
	Name    string `json:"name"`
	User    string `json:"user,omitempty"`
	Address string `json:"address"`
}

// PortForward is a local port forwarded into the network.
type PortForward struct {
	Listen string `json:"listen"`
	Target string `json:"target"`
}

// Status reports the node serving dir ("" for the default) through its
// control socket, or the saved state when it is not up.
func Status(ctx context.Context, dir string) (NodeStatus, error) {
	resp, c, err := call(ctx, dir, controlRequest{Op: "status"})
	if err == nil {
		c.Close()
		if resp.Status != nil {
			return *resp.Status, nil
		}
	}
	if !errors.Is(err, ErrNotRunning) && err != nil {
		return NodeStatus{}, err
	}
	st, err := LoadState(dir)
	if err != nil {
		return NodeStatus{}, err
	}
	return stateStatus(st), nil
}

func stateStatus(st State) NodeStatus {
	return NodeStatus{
		Name: st.Name, User: st.User, Address: st.Address.String(), Network: st.Network.String(),
		PublicKey: st.PublicKey, Hub: st.HubURL, HubEndpoint: st.Hub.Endpoint, NetMapVersion: st.NetMap,
		Revoked: st.Revoked,
		Peers:   []PeerStatus{},
	}
}

// Status reports the running node.
func (n *Node) Status() NodeStatus {
	n.mu.Lock()
	s := stateStatus(n.st)
	dev, hubErr := n.dev, n.hubErr
	s.SOCKS, s.Forwards = n.socks, append([]PortForward(nil), n.forwards...)
	for _, d := range n.peers {
		s.Devices = append(s.Devices, DeviceEntry{Name: d.Name, User: d.User, Address: d.Address})
	}
	n.mu.Unlock()
	s.Up, s.Pid = dev != nil, os.Getpid()
	if hubErr != nil {
		s.HubError = hubErr.Error()
	}
	if dev == nil {
		return s
	}
	s.Backend, s.Interface = string(dev.Backend()), dev.Name()
	peers, err := dev.Peers()
	if err != nil {
		return s
	}
	for _, p := range peers {
		ps := PeerStatus{PublicKey: p.PublicKey.String(), Endpoint: p.Endpoint, LastHandshake: p.LastHandshake,
			RxBytes: p.RxBytes, TxBytes: p.TxBytes, AllowedIPs: []string{}}
		for _, a := range p.AllowedIPs {
			ps.AllowedIPs = append(ps.AllowedIPs, a.String())
		}
		s.Peers = append(s.Peers, ps)
	}
	return s
}
