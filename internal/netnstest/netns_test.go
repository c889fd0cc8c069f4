package netnstest_test

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/devenv-dev/devenv/internal/netnstest"
)

func newNet(t *testing.T) *netnstest.Net {
	t.Helper()
	if err := netnstest.Available(); err != nil {
		t.Skip(err)
	}
	n, err := netnstest.New("nt")
	if err != nil {
		t.Fatal(err)
	}
	n.Log = t
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Error(err)
		}
	})
	return n
}

func host(t *testing.T, n *netnstest.Net, name, addr string) *netnstest.Host {
	t.Helper()
	h, err := n.Host(name, netip.MustParsePrefix(addr))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHostsReachEachOther(t *testing.T) {
	n := newNet(t)
	a := host(t, n, "a", "10.77.0.1/24")
	b := host(t, n, "b", "10.77.0.2/24")
	if _, err := a.Run(t.Context(), "ping", "-c1", "-W1", "10.77.0.2"); err != nil {
		t.Fatal(err)
	}

	// A listener made inside b by Do lives in b: a reaches it, the root
	// namespace (no such address) does not own it.
	var l net.Listener
	err := b.Do(func() error {
		var err error
		l, err = net.Listen("tcp", "10.77.0.2:0")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err == nil {
			c.Write([]byte("hi"))
			c.Close()
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	var got []byte
	err = a.Do(func() error {
		c, err := net.Dial("tcp", net.JoinHostPort("10.77.0.2", strconv.Itoa(port)))
		if err != nil {
			return err
		}
		defer c.Close()
		got = make([]byte, 2)
		_, err = c.Read(got)
		return err
	})
	if err != nil || string(got) != "hi" {
		t.Fatalf("dial across the bridge: %q, %v", got, err)
	}
}

func TestSysctlIsPerHost(t *testing.T) {
	n := newNet(t)
	a := host(t, n, "a", "10.77.1.1/24")
	b := host(t, n, "b", "10.77.1.2/24")
	// New namespaces may inherit the root's value: set both.
	if err := a.Sysctl("net.ipv4.ip_forward", "1"); err != nil {
		t.Fatal(err)
	}
	if err := b.Sysctl("net.ipv4.ip_forward", "0"); err != nil {
		t.Fatal(err)
	}
	for h, want := range map[*netnstest.Host]string{a: "1", b: "0"} {
		out, err := h.Run(t.Context(), "cat", "/proc/sys/net/ipv4/ip_forward")
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(out)); got != want {
			t.Errorf("ip_forward on %s = %s, want %s", h.Name, got, want)
		}
	}
}

func TestCloseRemovesEverything(t *testing.T) {
	n := newNet(t)
	host(t, n, "a", "10.77.2.1/24")
	if _, err := n.Host("a", netip.MustParsePrefix("10.77.2.2/24")); err == nil {
		t.Error("a second host a was made")
	}
	name := n.IfName("wgtestlong")
	if len(name) > 15 || !strings.HasPrefix(name, "wgtestlo") {
		t.Errorf("IfName = %q", name)
	}
	sock := filepath.Join("/var/run/wireguard", name+".sock")
	os.MkdirAll(filepath.Dir(sock), 0o755)
	if err := os.WriteFile(sock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join("/var/run/netns", n.Prefix()+"*"))
	if len(left) > 0 {
		t.Errorf("namespaces left: %v", left)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("socket left: %v", err)
	}
}
