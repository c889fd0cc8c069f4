package accesshub

import (
	"fmt"
	"net/netip"
	"strconv"
)

func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return a, fmt.Errorf("stored address %q: %w", s, err)
	}
	return a, nil
}

// hostBits is the prefix length of a single address: 32 or 128.
func hostBits(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return "32"
	}
	return strconv.Itoa(a.BitLen())
}

// single is the one-address prefix of addr.
func single(a netip.Addr) netip.Prefix { return netip.PrefixFrom(a, a.BitLen()) }
