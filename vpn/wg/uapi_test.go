package wg

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func key(b byte) Key {
	var k Key
	for i := range k {
		k[i] = b
	}
	return k
}

func TestSetPeerText(t *testing.T) {
	tests := []struct {
		name     string
		peer     Peer
		endpoint netip.AddrPort
		want     string
	}{
		{
			name: "dials in",
			peer: Peer{PublicKey: key(1), AllowedIPs: []netip.Prefix{netip.MustParsePrefix("100.100.0.7/32")}},
			want: "public_key=" + strings.Repeat("01", 32) + "\n" +
				"persistent_keepalive_interval=0\nreplace_allowed_ips=true\nallowed_ip=100.100.0.7/32\n",
		},
		{
			name: "endpoint, keepalive, unmasked prefix",
			peer: Peer{
				PublicKey:  key(0xab),
				Keepalive:  25 * time.Second,
				AllowedIPs: []netip.Prefix{netip.MustParsePrefix("100.100.3.4/16"), netip.MustParsePrefix("fd00::1/64")},
			},
			endpoint: netip.MustParseAddrPort("[2001:db8::1]:51820"),
			want: "public_key=" + strings.Repeat("ab", 32) + "\n" +
				"endpoint=[2001:db8::1]:51820\npersistent_keepalive_interval=25\nreplace_allowed_ips=true\n" +
				"allowed_ip=100.100.0.0/16\nallowed_ip=fd00::/64\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, setPeerText(tt.peer, tt.endpoint)); diff != "" {
				t.Errorf("setPeerText (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePeers(t *testing.T) {
	text := "private_key=" + strings.Repeat("09", 32) + "\nlisten_port=51820\n" +
		"public_key=" + strings.Repeat("01", 32) + "\n" +
		"endpoint=10.0.0.2:51820\nlast_handshake_time_sec=1700000000\nlast_handshake_time_nsec=5\n" +
		"tx_bytes=100\nrx_bytes=200\npersistent_keepalive_interval=0\nprotocol_version=1\n" +
		"allowed_ip=100.100.0.2/32\nallowed_ip=10.1.0.0/16\n" +
		"public_key=" + strings.Repeat("02", 32) + "\n" +
		"last_handshake_time_sec=0\nlast_handshake_time_nsec=0\ntx_bytes=0\nrx_bytes=0\n" +
		"errno=0\n\n"
	got, err := parsePeers(text)
	if err != nil {
		t.Fatal(err)
	}
	want := []PeerStats{
		{
			PublicKey:     key(1),
			Endpoint:      "10.0.0.2:51820",
			AllowedIPs:    []netip.Prefix{netip.MustParsePrefix("100.100.0.2/32"), netip.MustParsePrefix("10.1.0.0/16")},
			LastHandshake: time.Unix(1700000000, 5),
			RxBytes:       200,
			TxBytes:       100,
		},
		{PublicKey: key(2)},
	}
	if diff := cmp.Diff(want, got, cmpPrefix); diff != "" {
		t.Errorf("parsePeers (-want +got):\n%s", diff)
	}
}

var cmpPrefix = cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })

func TestParsePeersErrors(t *testing.T) {
	for _, text := range []string{
		"public_key=zz\n",
		"public_key=" + strings.Repeat("01", 32) + "\nrx_bytes=x\n",
		"no equals sign\n",
		"errno=22\n",
	} {
		if _, err := parsePeers(text); err == nil {
			t.Errorf("parsePeers(%q) = nil error", text)
		}
	}
}

func FuzzParsePeers(f *testing.F) {
	f.Add("public_key=" + strings.Repeat("01", 32) + "\nallowed_ip=1.2.3.4/32\nrx_bytes=5\n")
	f.Fuzz(func(t *testing.T, text string) {
		peers, err := parsePeers(text)
		if err != nil && peers != nil {
			t.Errorf("peers and error: %v", err)
		}
	})
}

func TestOpenValidates(t *testing.T) {
	good := Config{Name: "wgx", PrivateKey: key(3), Address: netip.MustParsePrefix("10.0.0.1/32")}
	tests := []struct {
		name string
		opts Options
	}{
		{"no key", Options{Config: Config{Name: "wgx", Address: good.Address}}},
		{"no address", Options{Config: Config{Name: "wgx", PrivateKey: key(3)}}},
		{"no name", Options{Config: Config{PrivateKey: key(3), Address: good.Address}, Backend: BackendUserspace}},
		{"unknown backend", Options{Config: good, Backend: "carrier-pigeon"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d, err := Open(tt.opts); err == nil {
				d.Close()
				t.Error("Open succeeded")
			}
		})
	}
}
