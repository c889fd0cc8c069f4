package hub

import (
	"errors"
	"net/netip"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

func TestAllocate(t *testing.T) {
	tests := []struct {
		name    string
		network string
		leased  []string
		want    string // "" for address_space_full
	}{
		{name: "empty /16", network: "100.100.0.0/16", want: "100.100.0.2"},
		{name: "lowest gap", network: "100.100.0.0/16", leased: []string{"100.100.0.2", "100.100.0.4"}, want: "100.100.0.3"},
		{name: "after a run", network: "100.100.0.0/16", leased: []string{"100.100.0.2", "100.100.0.3"}, want: "100.100.0.4"},
		{name: "crosses an octet", network: "10.0.0.0/23", leased: seq("10.0.0.", 2, 255), want: "10.0.1.0"},
		{name: "leases outside the network", network: "10.0.0.0/24", leased: []string{"9.9.9.9", "10.0.1.5"}, want: "10.0.0.2"},
		{name: "/30 holds one", network: "10.0.0.0/30", want: "10.0.0.2"},
		{name: "/30 full", network: "10.0.0.0/30", leased: []string{"10.0.0.2"}},
		{name: "no broadcast", network: "10.0.0.0/29", leased: seq("10.0.0.", 2, 6)},
		{name: "ipv6", network: "fd00::/120", leased: []string{"fd00::2"}, want: "fd00::3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := tempDB(t)
			var got netip.Addr
			err := db.Update(func(tx *bolt.Tx) error {
				for _, a := range tt.leased {
					tx.Bucket(bucketLeases).Put(netip.MustParseAddr(a).AsSlice(), []byte("x"))
				}
				var err error
				got, err = allocate(tx, netip.MustParsePrefix(tt.network), "new")
				return err
			})
			if tt.want == "" {
				if !errors.Is(err, ErrAddressSpaceFull) {
					t.Fatalf("got %v, %v; want address_space_full", got, err)
				}
				return
			}
			if err != nil || got.String() != tt.want {
				t.Fatalf("got %v, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func seq(prefix string, from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, prefix+strconv.Itoa(i))
	}
	return out
}

func TestCapacity(t *testing.T) {
	got := map[string]float64{}
	for _, n := range []string{"10.0.0.0/24", "10.0.0.0/30", "100.100.0.0/16", "fd00::/120"} {
		got[n] = capacity(netip.MustParsePrefix(n))
	}
	want := map[string]float64{"10.0.0.0/24": 253, "10.0.0.0/30": 1, "100.100.0.0/16": 65533, "fd00::/120": 254}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("capacity (-want +got):\n%s", diff)
	}
}

func tempDB(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := openStore(filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
