//go:build linux

package wg_test

import (
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/devenv-dev/devenv/vpn/wg"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// Two devices on one host must not share a name: the second is refused
// with ErrInUse, whichever namespace it is in (the control sockets are
// host-wide), and the first keeps its control socket.
func TestNameInUse(t *testing.T) {
	t.Parallel()
	n := newLAN(t)
	a, err := n.Host("a", netip.MustParsePrefix("10.9.0.1/24"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := n.Host("b", netip.MustParsePrefix("10.9.0.2/24"))
	if err != nil {
		t.Fatal(err)
	}
	name, other := n.IfName("wg"), n.IfName("wh")
	open := func(h interface{ Do(func() error) error }, names ...string) (wg.Device, error) {
		k, _ := wgtypes.GeneratePrivateKey()
		cfg := wg.Config{PrivateKey: k, Address: netip.MustParsePrefix("10.200.0.1/32")}
		var dev wg.Device
		err := h.Do(func() error {
			var err error
			dev, err = wg.OpenFirstFree(wg.Options{Config: cfg, Backend: wg.BackendUserspace}, names...)
			return err
		})
		if dev != nil {
			t.Cleanup(func() { dev.Close() })
		}
		return dev, err
	}
	first, err := open(a, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open(a, name); !errors.Is(err, wg.ErrInUse) {
		t.Errorf("the same name in the same namespace: %v, want ErrInUse", err)
	}
	if _, err := open(b, name); !errors.Is(err, wg.ErrInUse) {
		t.Errorf("the same name in another namespace: %v, want ErrInUse", err)
	}
	sock := "/var/run/wireguard/" + name + ".sock"
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatalf("the first device lost its control socket to the refused one: %v", err)
	}
	c.Close()
	second, err := open(b, name, other)
	if err != nil {
		t.Fatal(err)
	}
	if second.Name() != other || first.Name() != name {
		t.Errorf("names %s and %s, want %s and %s", first.Name(), second.Name(), name, other)
	}
}
