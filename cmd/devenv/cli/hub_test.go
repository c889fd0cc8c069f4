package cli

import (
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/access/accesshub"
	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hub/hubtest"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

func TestHubServeFlags(t *testing.T) {
	hookFile := filepath.Join(t.TempDir(), "webhook")
	if err := os.WriteFile(hookFile, []byte("https://hooks.example/from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := hubServeFlags{listen: ":8443", network: "100.100.0.0/16", wgPort: 51820, advertise: []string{"10.1.0.0/16"},
		maxReason: accesshub.DefaultMaxReason, maxOpenRequests: accesshub.DefaultMaxOpenRequests, maxEmergencyGrants: accesshub.DefaultMaxEmergencyGrants,
		maxLongPolls: hub.DefaultMaxLongPolls, checkpointEvery: hub.DefaultAuditCheckpointEvery}
	limits := func(o hub.Options, a accesshub.Options) hubServeOptions {
		o.MaxLongPolls, o.AuditCheckpointEvery = hub.DefaultMaxLongPolls, hub.DefaultAuditCheckpointEvery
		a.MaxReason, a.MaxOpenRequests, a.MaxEmergencyGrants = accesshub.DefaultMaxReason, accesshub.DefaultMaxOpenRequests, accesshub.DefaultMaxEmergencyGrants
		return hubServeOptions{Hub: o, Access: a}
	}
	tests := []struct {
		name  string
		edit  func(*hubServeFlags)
		want  hubServeOptions
		usage string // part of the usage error, "" for none
	}{
		{name: "defaults", edit: func(*hubServeFlags) {}, want: limits(hub.Options{
			DataDir: "/d", Listen: ":8443", WGListenPort: 51820,
			Network:   netip.MustParsePrefix("100.100.0.0/16"),
			Advertise: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
		}, accesshub.Options{})},
		{name: "bad network", edit: func(f *hubServeFlags) { f.network = "100.100.0.0" }, usage: "--network"},
		{name: "bad advertise", edit: func(f *hubServeFlags) { f.advertise = []string{"lan"} }, usage: "--advertise"},
		{name: "cert without key", edit: func(f *hubServeFlags) { f.cert = "c.pem" }, usage: "--cert and --key"},
		{name: "bad port", edit: func(f *hubServeFlags) { f.wgPort = 70000 }, usage: "--wg-port"},
		{name: "any WireGuard port", edit: func(f *hubServeFlags) { f.wgPort, f.wgPortSet = 0, true }, want: limits(hub.Options{
			DataDir: "/d", Listen: ":8443", WGListenPort: hub.AnyPort,
			Network:   netip.MustParsePrefix("100.100.0.0/16"),
			Advertise: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
		}, accesshub.Options{})},
		{name: "access", edit: func(f *hubServeFlags) { f.webhook, f.requestWindow = "https://hooks.example/x", 5*time.Minute }, want: limits(hub.Options{
			DataDir: "/d", Listen: ":8443", WGListenPort: 51820,
			Network:   netip.MustParsePrefix("100.100.0.0/16"),
			Advertise: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
			Webhook:   "https://hooks.example/x",
		}, accesshub.Options{RequestWindow: 5 * time.Minute})},
		{name: "bad webhook", edit: func(f *hubServeFlags) { f.webhook = "hooks.example/x" }, usage: "the webhook: want an http(s) URL"},
		{name: "webhook from a file", edit: func(f *hubServeFlags) { f.webhookFile = hookFile }, want: limits(hub.Options{
			DataDir: "/d", Listen: ":8443", WGListenPort: 51820,
			Network:   netip.MustParsePrefix("100.100.0.0/16"),
			Advertise: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
			Webhook:   "https://hooks.example/from-file",
		}, accesshub.Options{})},
		{name: "webhook twice", edit: func(f *hubServeFlags) { f.webhookFile, f.webhook = hookFile, "https://hooks.example/x" }, usage: "give the webhook once"},
		{name: "webhook file missing", edit: func(f *hubServeFlags) { f.webhookFile = "/nonexistent/hook" }, usage: "--webhook-file"},
		{name: "bad window", edit: func(f *hubServeFlags) { f.requestWindow = -time.Minute }, usage: "--request-window"},
		{name: "limits and metrics", edit: func(f *hubServeFlags) {
			f.maxReason, f.maxOpenRequests, f.maxEmergencyGrants, f.metricsListen = 200, 2, 3, "127.0.0.1:9100"
			f.maxLongPolls, f.checkpointEvery = 4, 10*time.Minute
		}, want: hubServeOptions{Hub: hub.Options{
			DataDir: "/d", Listen: ":8443", WGListenPort: 51820,
			Network:       netip.MustParsePrefix("100.100.0.0/16"),
			Advertise:     []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
			MetricsListen: "127.0.0.1:9100", MaxLongPolls: 4, AuditCheckpointEvery: 10 * time.Minute,
		}, Access: accesshub.Options{MaxReason: 200, MaxOpenRequests: 2, MaxEmergencyGrants: 3}}},
		{name: "no long-polls", edit: func(f *hubServeFlags) { f.maxLongPolls = 0 }, usage: "--max-long-polls 0: want 1 or more"},
		{name: "checkpoints too often", edit: func(f *hubServeFlags) { f.checkpointEvery = time.Second }, usage: "--audit-checkpoint-every 1s"},
		{name: "no reason at all", edit: func(f *hubServeFlags) { f.maxReason = 0 }, usage: "--max-reason 0: want 1 or more"},
		{name: "negative emergency grants", edit: func(f *hubServeFlags) { f.maxEmergencyGrants = -1 }, usage: "--max-emergency-grants"},
		{name: "endpoint's port is the WireGuard port", edit: func(f *hubServeFlags) { f.endpoint = "hub.example:41820" }, want: limits(hub.Options{
			DataDir: "/d", Listen: ":8443", WGListenPort: 41820, Endpoint: "hub.example:41820",
			Network:   netip.MustParsePrefix("100.100.0.0/16"),
			Advertise: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
		}, accesshub.Options{})},
		{name: "endpoint and wg-port disagree", edit: func(f *hubServeFlags) { f.endpoint, f.wgPortSet = "hub.example:41820", true },
			usage: "--endpoint hub.example:41820 and --wg-port 51820 disagree"},
		{name: "endpoint without a port number", edit: func(f *hubServeFlags) { f.endpoint = "hub.example:wg" }, usage: "--endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := ok
			tt.edit(&f)
			got, err := f.options("/d")
			if tt.usage != "" {
				var u usageError
				if !errors.As(err, &u) || !strings.Contains(err.Error(), tt.usage) {
					t.Fatalf("got %v, want a usage error about %s", err, tt.usage)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }), cmp.AllowUnexported(hub.Options{}, accesshub.Options{})); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

// runTestHub serves a hub on dataDir until the test ends.
func runTestHub(t *testing.T, dataDir string) *hubtest.Hub {
	t.Helper()
	return hubtest.Start(t, hub.Options{DataDir: dataDir, PublicURL: "https://hub.test:8443"})
}

func TestHubAdminCommands(t *testing.T) {
	data := t.TempDir()
	h := runTestHub(t, data)
	dir := t.TempDir()
	if _, errOut, code := runCLI(t, dir, "hub", "user", "add", "alice", "--state-dir", data); code != 0 {
		t.Fatalf("user add: code %d, stderr %q", code, errOut)
	}
	out, errOut, code := runCLI(t, dir, "hub", "--state-dir", data, "invite", "create", "--user", "alice", "--uses", "2")
	if code != 0 || strings.Count(out, "\n") != 1 {
		t.Fatalf("invite create: code %d, stdout %q, stderr %q; want one line", code, out, errOut)
	}
	inv, err := hubapi.ParseInvite(out)
	if err != nil || inv.Fingerprint != h.Fingerprint() || inv.HubURL != "https://hub.test:8443" {
		t.Fatalf("invite %+v, %v", inv, err)
	}
	out, _, code = runCLI(t, dir, "hub", "user", "list", "-o", "json", "--state-dir", data)
	var users []hub.User
	if code != 0 || json.Unmarshal([]byte(out), &users) != nil || len(users) != 1 || users[0].Role != hubapi.RoleDeveloper {
		t.Fatalf("user list: code %d, %q", code, out)
	}
	out, _, code = runCLI(t, dir, "hub", "device", "list", "--state-dir", data)
	if code != 0 || !strings.HasPrefix(out, "ID ") {
		t.Errorf("device list: code %d, %q", code, out)
	}
	_, errOut, code = runCLI(t, dir, "hub", "device", "revoke", "nope", "--state-dir", data)
	if code != ExitError || !strings.Contains(errOut, "devenv hub device list") {
		t.Errorf("revoke unknown: code %d, stderr %q", code, errOut)
	}
	if _, _, code := runCLI(t, dir, "hub", "user", "remove", "alice", "--state-dir", data); code != 0 {
		t.Errorf("user remove: code %d", code)
	}
}

// The hub's --data and invite create's --ttl were renamed --state-dir and
// --for; the old names still work, with a note.
func TestHubOldFlagNames(t *testing.T) {
	data := t.TempDir()
	runTestHub(t, data)
	if _, err := hub.NewAdminClient(data).AddUser(t.Context(), "alice", hubapi.RoleDeveloper); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, t.TempDir(), "hub", "--data", data, "invite", "create", "--user", "alice", "--ttl", "1h", "-o", "json")
	var inv hub.CreatedInvite
	if err := json.Unmarshal([]byte(out), &inv); code != 0 || err != nil || time.Until(inv.Expires) > time.Hour {
		t.Fatalf("invite create with --data and --ttl: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	for _, want := range []string{"--data is now --state-dir", "--ttl is now --for"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr %q lacks the note %q", errOut, want)
		}
	}
	help, _, _ := runCLI(t, t.TempDir(), "hub", "invite", "create", "--help")
	if strings.Contains(help, "--data") || strings.Contains(help, "--ttl") || !strings.Contains(help, "--state-dir") {
		t.Errorf("help shows the old names, or not the new:\n%s", help)
	}
}

func TestHubCommandErrors(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bad role", []string{"hub", "user", "add", "bob", "--role", "boss"}, ExitUsage, "--role"},
		{"no user", []string{"hub", "invite", "create"}, ExitUsage, "--user"},
		{"no name", []string{"hub", "user", "add"}, ExitUsage, "user's name"},
		{"bad network", []string{"hub", "serve", "--network", "x"}, ExitUsage, "--network"},
		{"no hub", []string{"hub", "user", "list"}, ExitError, "devenv hub serve --state-dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, dir, append(tt.args, "--state-dir", data)...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("code %d (want %d), stderr %q should contain %q", code, tt.code, errOut, tt.want)
			}
		})
	}
}

func TestHubGatewayAndAuditCommands(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	h := runTestHub(t, data)
	out, errOut, code := runCLI(t, dir, "hub", "gateway", "add", "prod-eu", "--state-dir", data)
	token := strings.TrimSpace(out)
	if code != 0 || strings.Count(out, "\n") != 1 || len(token) < 32 || !strings.Contains(errOut, "only now") {
		t.Fatalf("gateway add: code %d, stdout %q, stderr %q; want the token on one line", code, out, errOut)
	}
	if want := "hub: {url: https://hub.test:8443, fingerprint: " + h.Fingerprint() + ", token_file: "; !strings.Contains(errOut, want) {
		t.Errorf("gateway add does not print the gateway's hub line %q:\n%s", want, errOut)
	}
	// Later, without a token to show, the admin still gets the hub line.
	out, _, code = runCLI(t, dir, "hub", "info", "--state-dir", data)
	if want := "  hub: {url: https://hub.test:8443, fingerprint: " + h.Fingerprint() + ", token_file: "; code != 0 ||
		!strings.Contains(out, want) || !strings.Contains(out, h.HubPeer().PublicKey) {
		t.Errorf("hub info: code %d, stdout %q; want the hub line %q and the WireGuard key", code, out, want)
	}
	out, _, code = runCLI(t, dir, "hub", "info", "-o", "json", "--state-dir", data)
	var info hub.Info
	if code != 0 || json.Unmarshal([]byte(out), &info) != nil || info.Fingerprint != h.Fingerprint() || info.URL != "https://hub.test:8443" {
		t.Errorf("hub info -o json: code %d, %q", code, out)
	}
	reg := hubapi.RegisterTargets{PublicKey: "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=", Endpoint: "gw.example:51821",
		Network: "100.101.0.0/24", Targets: []hubapi.Target{{Name: "orders", Protocol: hubapi.ProtocolHTTP, MaxTTL: time.Hour}}}
	if _, err := h.RegisterTargets(token, reg); err != nil {
		t.Fatalf("registering with the printed token: %v", err)
	}
	out, _, code = runCLI(t, dir, "hub", "gateway", "list", "--state-dir", data)
	if code != 0 || !strings.Contains(out, "prod-eu") || !strings.Contains(out, "orders") {
		t.Errorf("gateway list: code %d, %q", code, out)
	}
	out, _, code = runCLI(t, dir, "hub", "audit", "export", "--state-dir", data)
	var recs []hubapi.AuditRecord
	if code != 0 || json.Unmarshal([]byte(out), &recs) != nil || len(recs) != 2 || recs[0].Action != "gateway_add" || recs[1].Actor != "gateway:prod-eu" {
		t.Fatalf("audit export: code %d, %q", code, out)
	}
	out, _, code = runCLI(t, dir, "hub", "audit", "verify", "--state-dir", data)
	if code != 0 || !strings.Contains(out, "intact: 2 records") {
		t.Errorf("audit verify through the socket: code %d, %q", code, out)
	}
	h.Close()
	out, errOut, code = runCLI(t, dir, "hub", "audit", "verify", "--state-dir", data)
	if code != 0 || !strings.Contains(out, "intact: 2 records") {
		t.Errorf("audit verify from the store: code %d, %q, %q", code, out, errOut)
	}
	editFirstAuditRecord(t, filepath.Join(data, "hub.db"))
	_, errOut, code = runCLI(t, dir, "hub", "audit", "verify", "--state-dir", data)
	if code != ExitError || !strings.Contains(errOut, "record 1: hash does not match its content (edited?)") {
		t.Errorf("audit verify of an edited store: code %d, stderr %q", code, errOut)
	}
}

// editFirstAuditRecord changes the gateway named by the first record in the
// store's audit bucket, as someone with the file could.
func editFirstAuditRecord(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("audit"))
		k, v := b.Cursor().First()
		return b.Put(k, []byte(strings.Replace(string(v), "prod-eu", "other", 1)))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestHubServeWebhookFromTheEnvironment(t *testing.T) {
	t.Setenv(webhookURLEnv, "https://hooks.example/from-env")
	o, err := hubServeFlags{listen: ":8443", network: "100.100.0.0/16", wgPort: 51820, maxReason: 1, maxOpenRequests: 1, maxEmergencyGrants: 1,
		maxLongPolls: 1, checkpointEvery: time.Hour}.options("/d")
	if err != nil || o.Hub.Webhook != "https://hooks.example/from-env" {
		t.Errorf("webhook from $%s: %q %v", webhookURLEnv, o.Hub.Webhook, err)
	}
}
