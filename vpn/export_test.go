package vpn

import (
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestExportGolden(t *testing.T) {
	dir := t.TempDir()
	key, _ := wgtypes.ParseKey("yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=")
	hubKey, _ := wgtypes.ParseKey("HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=")
	st := State{
		HubURL: "https://hub.example.com:8443", Name: "laptop", Token: "t",
		Address: netip.MustParsePrefix("100.100.0.7/32"), Network: netip.MustParsePrefix("100.100.0.0/16"),
		Hub: hubapi.HubPeer{PublicKey: hubKey.String(), Endpoint: "hub.example.com:51820",
			AllowedIPs: []string{"100.100.0.0/16", "10.20.0.0/24"}},
	}
	if err := saveKey(dir, key); err != nil {
		t.Fatal(err)
	}
	if err := saveState(dir, st); err != nil {
		t.Fatal(err)
	}
	got, err := Export(dir)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "export.conf")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("export (-want +got):\n%s", diff)
	}
	if _, err := Export(t.TempDir()); err != ErrNotJoined {
		t.Errorf("export without joining: err = %v", err)
	}
}
