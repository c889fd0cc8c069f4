package hub

import (
	"fmt"
	"net/netip"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// hubAddress is the hub's own tunnel address: the network's first host.
func hubAddress(network netip.Prefix) netip.Addr {
	return network.Masked().Addr().Next()
}

// usable reports whether a device may hold addr: inside the network, not
// the hub's, and not an IPv4 broadcast address.
func usable(network netip.Prefix, addr netip.Addr) bool {
	if !addr.IsValid() || !network.Contains(addr) || addr == hubAddress(network) || addr == network.Masked().Addr() {
		return false
	}
	if addr.Is4() && network.Bits() < 31 {
		return addr != lastAddress(network)
	}
	return true
}

// lastAddress is the highest address in the network.
func lastAddress(network netip.Prefix) netip.Addr {
	b := network.Masked().Addr().AsSlice()
	for i := network.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// allocate leases the lowest free address of the network to device id,
// inside tx: bbolt runs one writer at a time, so two enrollments can never
// get the same address, and the lease commits with the device or not at all.
func allocate(tx *bolt.Tx, network netip.Prefix, id string) (netip.Addr, error) {
	leases := tx.Bucket(bucketLeases)
	cand := hubAddress(network).Next()
	c := leases.Cursor()
	for k, _ := c.Seek(cand.AsSlice()); k != nil; k, _ = c.Next() {
		taken, ok := netip.AddrFromSlice(k)
		if !ok || taken != cand {
			break // a gap before the next lease: cand is free
		}
		cand = cand.Next()
	}
	if !usable(network, cand) {
		return netip.Addr{}, ErrAddressSpaceFull
	}
	return cand, leases.Put(cand.AsSlice(), []byte(id))
}

// capacity is how many devices the network holds.
func capacity(network netip.Prefix) float64 {
	hostBits := network.Addr().BitLen() - network.Bits()
	n := 1.0
	for range hostBits {
		n *= 2
	}
	n -= 2 // network address and the hub
	if network.Addr().Is4() && network.Bits() < 31 {
		n-- // broadcast
	}
	return n
}

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
