package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/proxy"

	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/vpn"
	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hub/hubtest"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/wg"
)

func TestForwardListen(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"5432", "127.0.0.1:5432", ""},
		{"0", "127.0.0.1:0", ""},
		{"0.0.0.0:8080", "0.0.0.0:8080", ""},
		{":8080", ":8080", ""},
		{"70000", "", `"70000": want a local port, e.g. 5432, or ADDR:PORT`},
		{"db:x", "", `"db:x": want a local port, e.g. 5432, or ADDR:PORT`},
	}
	for _, tt := range tests {
		got, err := forwardListen(tt.in)
		if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && err.Error() != tt.err) {
			t.Errorf("forwardListen(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestVPNStatusTable(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := vpn.NodeStatus{
		Up: true, Name: "laptop", User: "ann", Address: "100.100.0.2/32", Network: "100.100.0.0/16",
		Hub: "https://hub:8443", HubEndpoint: "hub:51820", Backend: "netstack", Interface: "devenv0",
		NetMapVersion: 7, SOCKS: "127.0.0.1:1080",
		Forwards: []vpn.PortForward{{Listen: "127.0.0.1:5432", Target: "100.100.0.3:5432"}},
		Peers: []vpn.PeerStatus{{PublicKey: "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=", Endpoint: "10.0.0.1:51820",
			AllowedIPs: []string{"100.100.0.0/16", "10.1.0.0/24"}, LastHandshake: now.Add(-(time.Hour + 2*time.Minute + 3*time.Second)),
			RxBytes: 1536, TxBytes: 20}},
		Devices: []vpn.DeviceEntry{{Name: "desk", User: "bob", Address: "100.100.0.3/32"}},
	}
	want := `device   laptop (ann)
address  100.100.0.2 on 100.100.0.0/16
hub      https://hub:8443 (WireGuard hub:51820)
state    up: devenv0 (netstack), network map 7
socks5   127.0.0.1:1080
forward  127.0.0.1:5432 -> 100.100.0.3:5432

PEER           ENDPOINT        ALLOWED IPS                 HANDSHAKE  RX       TX
hub HIgo9xNz…  10.0.0.1:51820  100.100.0.0/16,10.1.0.0/24  1h02m ago  1.5 KiB  20 B

DEVICE  USER  ADDRESS
desk    bob   100.100.0.3
`
	var b bytes.Buffer
	if err := writeVPNStatus(&b, s, now); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	b.Reset()
	_ = writeVPNStatus(&b, vpn.NodeStatus{Name: "laptop", Address: "100.100.0.2/32", Network: "100.100.0.0/16", Hub: "https://hub:8443"}, now)
	if !strings.Contains(b.String(), "state    down; devenv vpn up brings it up") {
		t.Errorf("down status:\n%s", b.String())
	}
}

// testHub runs the real hub in process on a netstack device, on loopback.
func testHub(t *testing.T) (*hubtest.Hub, wg.NetstackDevice) {
	t.Helper()
	devc := make(chan wg.NetstackDevice, 1) // Serve opens the device, nil if it could not
	h := hubtest.Start(t, hub.Options{WGListenPort: hub.AnyPort, Endpoint: "127.0.0.1:0",
		NewDevice: func(c wg.Config) (wg.Device, error) {
			d, err := hubtest.Netstack(c)
			nd, _ := d.(wg.NetstackDevice)
			devc <- nd
			return d, err
		}})
	dev := <-devc
	if dev == nil {
		t.Fatal("the hub's netstack device did not open (the hub's error follows at the end)")
	}
	return h, dev
}

// echoOn serves an echo on the hub's own tunnel address.
func echoOn(t *testing.T, dev wg.NetstackDevice, addr string) {
	ln, err := dev.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
}

func vpnStatusJSON(t *testing.T, dir string) vpn.NodeStatus {
	t.Helper()
	out, errs, code := runCLI(t, t.TempDir(), "vpn", "--state-dir", dir, "status", "-o", "json")
	if code != 0 {
		t.Fatalf("status: exit %d: %s", code, errs)
	}
	var s vpn.NodeStatus
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("status JSON: %v\n%s", err, out)
	}
	return s
}

// TestVPNUserspaceNodeAgainstRealHub joins a real in-process hub, brings a
// userspace node up in the foreground and reaches the hub's tunnel address
// through the node's SOCKS5 proxy; no root needed.
func TestVPNUserspaceNodeAgainstRealHub(t *testing.T) {
	h, hubDev := testHub(t)
	echoOn(t, hubDev, "100.100.0.1:7")
	dir := t.TempDir()
	inv := h.Invite(t, "ann", hubapi.RoleDeveloper)
	out, errs, code := runCLI(t, t.TempDir(), "vpn", "--state-dir", dir, "join", inv, "--name", "laptop")
	if code != 0 || !strings.HasPrefix(out, "joined https://") {
		t.Fatalf("join: exit %d\n%s%s", code, out, errs)
	}
	if _, errs, code := runCLI(t, t.TempDir(), "vpn", "--state-dir", t.TempDir(), "join", inv); code != 1 ||
		!strings.Contains(errs, "already used") {
		t.Errorf("reused invite: exit %d: %s", code, errs)
	}
	if s := vpnStatusJSON(t, dir); s.Up || s.Name != "laptop" || s.User != "ann" {
		t.Errorf("status before up: %+v", s)
	}
	if out, _, _ := runCLI(t, t.TempDir(), "vpn", "--state-dir", dir, "export"); !strings.Contains(out, "PersistentKeepalive = 25") {
		t.Errorf("export:\n%s", out)
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	upDone := make(chan int, 1)
	var upErr lockedBuffer // written by up while the test reads it
	go func() {
		upDone <- Run(ctx, []string{"vpn", "--state-dir", dir, "up", "--foreground", "--userspace", "--socks", "127.0.0.1:0"},
			strings.NewReader(""), io.Discard, &upErr)
	}()
	var s vpn.NodeStatus
	testutil.EventuallyNoError(t, "the node up", func() error {
		var err error
		if s, err = vpn.Status(t.Context(), dir); err == nil && !s.Up {
			err = errors.New("not up")
		}
		if err != nil {
			return fmt.Errorf("%w; its output: %s", err, upErr.String())
		}
		return nil
	})
	echoViaSOCKS(t, s.SOCKS, "100.100.0.1:7")
	if s := vpnStatusJSON(t, dir); len(s.Peers) != 1 || s.Peers[0].LastHandshake.IsZero() || s.Backend != "netstack" {
		t.Errorf("status after traffic: %+v", s)
	}
	if _, errs, code := runCLI(t, t.TempDir(), "vpn", "--state-dir", dir, "down"); code != 0 {
		t.Fatalf("down: exit %d: %s", code, errs)
	}
	if code := <-upDone; code != 0 {
		t.Errorf("up --foreground after down: exit %d: %s", code, upErr.String())
	}
	if _, errs, code := runCLI(t, t.TempDir(), "vpn", "--state-dir", dir, "leave"); code != 0 {
		t.Fatalf("leave: exit %d: %s", code, errs)
	}
	if ds, _ := h.Devices(); len(ds) != 0 {
		t.Errorf("devices after leave: %+v", ds)
	}
	if _, err := vpn.LoadState(dir); err != vpn.ErrNotJoined {
		t.Errorf("state after leave: %v", err)
	}
}

func echoViaSOCKS(t *testing.T, socks, target string) {
	t.Helper()
	d, err := proxy.SOCKS5("tcp", socks, nil, proxy.Direct)
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.Dial("tcp", target)
	if err != nil {
		t.Fatalf("dialing %s through SOCKS5 %s: %v", target, socks, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "ping\n"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping\n" {
		t.Fatalf("echo through the tunnel: %q, %v", buf, err)
	}
}

func TestVPNUpWithoutRootSuggestsUserspace(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root")
	}
	_, errs, code := runCLI(t, t.TempDir(), "vpn", "--state-dir", t.TempDir(), "up", "--foreground")
	if code != 2 || !strings.Contains(errs, "--userspace") || strings.Count(errs, "\n") != 1 {
		t.Errorf("exit %d: %q", code, errs)
	}
}
