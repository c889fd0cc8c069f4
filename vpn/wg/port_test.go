package wg

import (
	"net"
	"net/netip"
	"testing"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

func TestListenPortZeroReportsThePortBound(t *testing.T) {
	key, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	d, err := Open(Options{Backend: BackendNetstack, Config: Config{PrivateKey: key,
		Address: netip.MustParsePrefix("100.100.0.9/32")}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	port := d.ListenPort()
	if port == 0 {
		t.Fatal("ListenPort is 0 for a device told to bind any port")
	}
	// The device holds the port: nobody else can take it.
	if c, err := net.ListenUDP("udp4", &net.UDPAddr{Port: port}); err == nil {
		c.Close()
		t.Fatalf("port %d is free; the device does not hold it", port)
	}
}

func TestParseListenPort(t *testing.T) {
	for text, want := range map[string]int{
		"private_key=ab\nlisten_port=51820\npublic_key=cd\n": 51820,
		"private_key=ab\npublic_key=cd\nlisten_port=7\n":     0, // a peer's line, not the device's
		"": 0,
	} {
		if got := parseListenPort(text); got != want {
			t.Errorf("parseListenPort(%q) = %d, want %d", text, got, want)
		}
	}
}
