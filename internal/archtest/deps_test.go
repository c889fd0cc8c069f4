package archtest

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const mod = "github.com/devenv-dev/devenv/"

// rule: the packages under from (a prefix of their import path) must not
// depend, directly or through others, on anything under one of not,
// unless it is under one of except, nor on one of notPkg (those packages
// exactly, not what is under them), nor import one of notImport
// themselves (they may reach it through the packages they may use).
// Packages named in harness are test harnesses under from that serve it
// to its clients; they may use them.
type rule struct {
	from      string
	not       []string
	except    []string
	notPkg    []string
	notImport []string
	harness   []string
	why       string
}

var rules = []rule{
	{from: "env", not: []string{mod + "tui", mod + "vpn", mod + "access", "golang.zx2c4.com/", "charm.land/", "github.com/charmbracelet/"},
		why: "environments know nothing of the UI, the LAN or production access"},
	{from: "access/proxy", not: []string{mod + "vpn/hub", mod + "vpn/hubclient", mod + "access/gateway", mod + "access/accesshub", mod + "vpn/wg", "golang.zx2c4.com/"},
		except: []string{mod + "vpn/hubapi"},
		why:    "the proxies are protocol code: the gateway hands them connections"},
	{from: "vpn", not: []string{mod + "vpn/hub", mod + "access", "github.com/docker/"},
		except: []string{mod + "vpn/hubapi", mod + "vpn/hubclient"},
		why:    "the node talks to the hub only through its API and client"},
	// hubtest starts a hub with its access half: the node's, the gateway's
	// and the CLI's tests use both.
	{from: "vpn/hub", not: []string{mod + "vpn/hubclient", mod + "access", "github.com/docker/"},
		harness: []string{mod + "vpn/hub/hubtest"},
		why:     "the LAN hub imports neither its clients, nor its access half, nor the gateway: access plugs in as a hub.Extension"},
	{from: "access/accesshub", not: []string{mod + "access/gateway", mod + "access/proxy", mod + "vpn/hubclient", mod + "vpn/hub/hubtest",
		mod + "tui", "github.com/docker/"},
		notPkg:    []string{mod + "vpn", mod + "access"},
		notImport: []string{mod + "vpn/wg", "golang.zx2c4.com/wireguard/device", "golang.zx2c4.com/wireguard/tun"},
		why:       "the hub's access half runs in the hub: it uses the LAN hub and the wire types, never the gateway, the proxies, the node or a WireGuard device"},
	{from: "access/gateway", not: []string{mod + "vpn/hub", mod + "access/accesshub"},
		except: []string{mod + "vpn/hubapi", mod + "vpn/hubclient"},
		why:    "the gateway talks to the hub only through its API and client"},
	{from: "cmd/devenv", not: []string{mod + "access/gateway", mod + "access/proxy", "github.com/pganalyze/"},
		why: "devenv carries no gateway: devenv-gateway is its own binary (no cgo parser on every laptop)"},
	{from: "internal", not: []string{mod + "env", mod + "images", mod + "vpn", mod + "access", mod + "tui", mod + "cmd"},
		why: "internal holds what is shared, not product code"},
}

// TestPackageBoundaries checks the rules above on every non-test package,
// and that nothing but the CLI imports cobra, nothing but the CLI and the
// UI imports bubbletea, nothing imports cmd or (but the CLI) the UI, and
// no library imports testing.
func TestPackageBoundaries(t *testing.T) {
	pkgs := goList(t, "-f", "{{.ImportPath}} {{join .Imports \" \"}}", mod+"...")
	for _, r := range rules {
		for _, line := range pkgs {
			p := strings.Fields(line)[0]
			if !under(p, mod+r.from) || (r.from == "vpn" && strings.HasPrefix(p, mod+"vpn/")) {
				continue // "vpn" is the node alone; its subpackages have rules of their own
			}
			if slices.Contains(r.harness, p) {
				continue
			}
			for _, d := range goList(t, "-deps", p) {
				if (hasPrefix(d, r.not) && !hasPrefix(d, r.except)) || slices.Contains(r.notPkg, d) {
					t.Errorf("%s depends on %s: %s", p, d, r.why)
				}
			}
			for _, imp := range strings.Fields(line)[1:] {
				if hasPrefix(imp, r.notImport) {
					t.Errorf("%s imports %s: %s", p, imp, r.why)
				}
			}
		}
	}
	for _, line := range pkgs {
		f := strings.Fields(line)
		p, imps := f[0], f[1:]
		cli, ui := under(p, mod+"cmd"), under(p, mod+"tui")
		for _, imp := range imps {
			switch {
			case imp == "github.com/spf13/cobra" && !cli:
				t.Errorf("%s imports cobra: only the CLI parses flags", p)
			case (strings.HasPrefix(imp, "charm.land/") || strings.HasPrefix(imp, "github.com/charmbracelet/")) && !cli && !ui && !strings.HasPrefix(p, mod+"bench/"):
				t.Errorf("%s imports %s: only the UI draws", p, imp)
			case under(imp, mod+"cmd") && !cli:
				t.Errorf("%s imports %s: nothing imports a command", p, imp)
			case under(imp, mod+"tui") && !cli && !ui && !strings.HasPrefix(p, mod+"bench/"):
				t.Errorf("%s imports %s: only the CLI starts the UI", p, imp)
			case imp == "testing" && !strings.HasSuffix(p, "test") && p != mod+"internal/testutil":
				// Helper packages for tests (…test, like net/http/httptest,
				// and internal/testutil) may.
				t.Errorf("non-test package %s imports testing", p)
			}
		}
	}
}

func under(p, prefix string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }

func hasPrefix(p string, prefixes []string) bool {
	for _, x := range prefixes {
		if strings.HasPrefix(p, x) {
			return true
		}
	}
	return false
}

func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}
