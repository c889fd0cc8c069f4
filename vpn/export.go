package vpn

import (
	"fmt"
	"strings"
)

// Export renders the membership in dir ("" for the default) as a wg-quick
// configuration, for running the tunnel with standard WireGuard tools. It
// contains the private key: it is written for this machine's owner only.
func Export(dir string) (string, error) {
	dir, err := resolveDir(dir)
	if err != nil {
		return "", err
	}
	st, err := LoadState(dir)
	if err != nil {
		return "", err
	}
	key, err := loadKey(dir)
	if err != nil {
		return "", err
	}
	hub, err := hubPeer(st.Hub, st.Network)
	if err != nil {
		return "", err
	}
	allowed := make([]string, len(hub.AllowedIPs))
	for i, p := range hub.AllowedIPs {
		allowed[i] = p.String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# devenv vpn: device %s on %s\n", st.Name, st.HubURL)
	fmt.Fprintf(&b, "[Interface]\nPrivateKey = %s\nAddress = %s\n\n", key, st.Address)
	fmt.Fprintf(&b, "[Peer]\nPublicKey = %s\n", hub.PublicKey)
	if hub.Endpoint != "" {
		fmt.Fprintf(&b, "Endpoint = %s\n", hub.Endpoint)
	}
	fmt.Fprintf(&b, "AllowedIPs = %s\nPersistentKeepalive = %d\n", strings.Join(allowed, ", "), int(hubKeepalive.Seconds()))
	return b.String(), nil
}
