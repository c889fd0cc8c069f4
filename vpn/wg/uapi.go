package wg

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// The UAPI text protocol of wireguard-go
// (https://www.wireguard.com/xplatform/): keys in hex, one key=value a line.

// deviceConfigText sets the device's own key and port.
func deviceConfigText(c Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "private_key=%s\n", hex.EncodeToString(c.PrivateKey[:]))
	fmt.Fprintf(&b, "listen_port=%d\n", c.ListenPort)
	return b.String()
}

// setPeerText adds p or replaces its allowed IPs, keepalive and endpoint.
// endpoint is p.Endpoint resolved; invalid means keep the current one.
func setPeerText(p Peer, endpoint netip.AddrPort) string {
	var b strings.Builder
	fmt.Fprintf(&b, "public_key=%s\n", hex.EncodeToString(p.PublicKey[:]))
	if endpoint.IsValid() {
		fmt.Fprintf(&b, "endpoint=%s\n", endpoint)
	}
	fmt.Fprintf(&b, "persistent_keepalive_interval=%d\n", int(p.Keepalive/time.Second))
	b.WriteString("replace_allowed_ips=true\n")
	for _, ip := range p.AllowedIPs {
		fmt.Fprintf(&b, "allowed_ip=%s\n", ip.Masked())
	}
	return b.String()
}

// removePeerText removes the peer k; an unknown peer is no error.
func removePeerText(k Key) string {
	return fmt.Sprintf("public_key=%s\nremove=true\n", hex.EncodeToString(k[:]))
}

// parseListenPort reads the device's own port from the answer to a UAPI
// get; 0 when it has none.
func parseListenPort(text string) int {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		if k == "public_key" {
			break // the peers' lines follow the device's own
		}
		if k == "listen_port" {
			p, _ := strconv.Atoi(v)
			return p
		}
	}
	return 0
}

// parsePeers reads the peers from the answer to a UAPI get.
func parsePeers(text string) ([]PeerStats, error) {
	var (
		peers []PeerStats
		p     *PeerStats
		sec   int64
		nsec  int64
	)
	flush := func() {
		if p != nil && (sec != 0 || nsec != 0) {
			p.LastHandshake = time.Unix(sec, nsec)
		}
		sec, nsec = 0, 0
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("parsing device state: bad line %q", line)
		}
		if key == "public_key" {
			flush()
			k, err := parseHexKey(value)
			if err != nil {
				return nil, err
			}
			peers = append(peers, PeerStats{PublicKey: k})
			p = &peers[len(peers)-1]
			continue
		}
		if key == "errno" && value != "0" {
			return nil, fmt.Errorf("device state: errno=%s", value)
		}
		if p == nil {
			continue // the device's own settings
		}
		var err error
		switch key {
		case "endpoint":
			p.Endpoint = value
		case "allowed_ip":
			var ip netip.Prefix
			ip, err = netip.ParsePrefix(value)
			p.AllowedIPs = append(p.AllowedIPs, ip)
		case "last_handshake_time_sec":
			sec, err = strconv.ParseInt(value, 10, 64)
		case "last_handshake_time_nsec":
			nsec, err = strconv.ParseInt(value, 10, 64)
		case "rx_bytes":
			p.RxBytes, err = strconv.ParseInt(value, 10, 64)
		case "tx_bytes":
			p.TxBytes, err = strconv.ParseInt(value, 10, 64)
		}
		if err != nil {
			return nil, fmt.Errorf("parsing device state: %s: %w", key, err)
		}
	}
	flush()
	return peers, sc.Err()
}

func parseHexKey(s string) (Key, error) {
	var k Key
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(k) {
		return k, fmt.Errorf("parsing device state: bad key %q", s)
	}
	copy(k[:], b)
	return k, nil
}
