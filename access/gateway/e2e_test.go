//go:build linux

package gateway_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/netnstest"
	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/vpn"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// devenvBin is the devenv binary under test, built by buildE2E when the
// end-to-end test can run.
var devenvBin string

func init() { setupE2E = buildE2E }

// buildE2E builds the binaries the end-to-end tests run, unless they are
// skipped, and returns how to remove them.
func buildE2E() (cleanup func(), err error) {
	if testing.Short() || netnstest.Available() != nil {
		return func() {}, nil
	}
	dir, err := os.MkdirTemp("", "devenv-e2e-")
	if err != nil {
		return nil, err
	}
	// Both binaries in one directory: devenv gateway runs the
	// devenv-gateway next to it, which these tests thereby cover.
	devenvBin = filepath.Join(dir, "devenv")
	for _, pkg := range []string{"cmd/devenv", "cmd/devenv-gateway"} {
		out, err := exec.Command("go", "build", "-o", dir, "github.com/devenv-dev/devenv/"+pkg).CombinedOutput()
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("building %s: %v\n%s", pkg, err, out)
		}
	}
	return func() { os.RemoveAll(dir) }, nil
}

// The test network: every host on one bridge. The production upstream
// listens on the gateway host's loopback, which no other host can reach.
const (
	hubIP      = "10.79.0.1"
	gwIP       = "10.79.0.2"
	hubURL     = "https://" + hubIP + ":8443"
	gwEndpoint = gwIP + ":51821"
	prodSecret = "prod-secret-5f2c" // the upstream credential, known to the gateway only
	target     = "api"
)

// world is the hub, the gateway, the production upstream, a developer
// (ann) and a second developer (carl) on host dev, and an approver (bob)
// on host appr.
type world struct {
	t                  *testing.T
	net                *netnstest.Net
	hub, gw, dev, appr *netnstest.Host
	hubDir, gwState    string
	hubIf              string
	prod               *prodServer
	hook               *webhookSink
	ann, carl, bob     string // state directories of their devices

	mu        sync.Mutex
	hubProc   *proc // guarded by mu
	gwProc    *proc // guarded by mu
	gwConfigs []string
}

// TestProductionAccess runs production access end to end: the real devenv
// binary as hub, gateway and clients, each in its own network namespace.
// The subtests run in order on one world.
func TestProductionAccess(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-host test; without -short")
	}
	if err := netnstest.Available(); err != nil {
		t.Skip(err)
	}
	start := time.Now()
	w := newWorld(t)
	t.Run("request, approve, connect, GET with the injected credential", w.testFlow)
	t.Run("writes and method overrides are refused and never reach upstream", w.testReadOnly)
	t.Run("self-approval and a developer's approval are refused", w.testApprovalRules)
	t.Run("revoke cuts a live connection within a second", w.testRevoke)
	t.Run("removing a user cuts their live connection within a second", w.testUserRemoved)
	t.Run("hub and gateway restarts keep the grant and its deadline; an expired key gets no handshake", w.testRestartsAndDeadline)
	t.Run("hub away: deadlines hold, the gateway fails closed after the grace", w.testHubAway)
	t.Run("audit verifies, and a tampered store does not", w.testAudit)
	t.Run("the webhook heard the requests and decisions", w.testWebhook)
	t.Run("the upstream saw only reads, each with the gateway's credential", w.testUpstreamSawOnlyReads)
	t.Logf("end to end in %v", time.Since(start).Round(time.Millisecond))
}

func newWorld(t *testing.T) *world {
	w := newHosts(t, "access")
	w.prod = startProd(t, w.gw)
	w.hook = startWebhook(t, w.hub)
	w.startHub()
	w.admin("user", "add", "ann", "--role", "developer")
	w.admin("user", "add", "carl", "--role", "developer")
	w.admin("user", "add", "bob", "--role", "approver")
	w.ann, w.carl, w.bob = w.join(w.dev, "ann"), w.join(w.dev, "carl"), w.join(w.appr, "bob")
	st, err := vpn.LoadState(w.ann)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(w.admin("gateway", "add", "prod"))
	w.gwConfigs = []string{w.gatewayConfig(st.Fingerprint, token, "30s"), w.gatewayConfig(st.Fingerprint, token, "3s")}
	w.startGateway(w.gwConfigs[0])
	testutil.EventuallyNoError(t, "the gateway's target at the hub", func() error {
		out, err := w.access(w.dev, w.ann, "targets")
		if err != nil || !strings.Contains(out, target+" ") {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	})
	return w
}

// newHosts makes a world's network, named name, and its hub, gateway,
// developer and approver hosts; nothing runs on them yet.
func newHosts(t *testing.T, name string) *world {
	n, err := netnstest.New(name)
	if err != nil {
		t.Fatal(err)
	}
	n.Log = t
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Error(err)
		}
	})
	w := &world{t: t, net: n, hubDir: t.TempDir(), gwState: t.TempDir(), hubIf: n.IfName("hub")}
	w.hub, w.gw = w.host("hub", hubIP+"/24"), w.host("gw", gwIP+"/24")
	w.dev, w.appr = w.host("dev", "10.79.0.3/24"), w.host("appr", "10.79.0.4/24")
	return w
}

func (w *world) host(name, addr string) *netnstest.Host {
	h, err := w.net.Host(name, netip.MustParsePrefix(addr))
	if err != nil {
		w.t.Fatal(err)
	}
	return h
}

// --- the access flow -------------------------------------------------------

// grant asks for access as ann and has bob approve it for ttl.
func (w *world) grant(ttl time.Duration) hubapi.Request {
	w.t.Helper()
	return w.grantFor(w.ann, ttl)
}

// grantFor asks for access as the device of dir (on host dev) and has bob
// approve it for ttl.
func (w *world) grantFor(dir string, ttl time.Duration) hubapi.Request {
	w.t.Helper()
	out, err := w.access(w.dev, dir, "request", target, "--for", "10m", "--reason", "e2e: bug 1234")
	if err != nil {
		w.t.Fatal(err)
	}
	id := strings.TrimSpace(out)
	if _, err := w.access(w.appr, w.bob, "approve", id, "--for", ttl.String()); err != nil {
		w.t.Fatal(err)
	}
	return w.request(dir, id)
}

// request reads request id as the device of dir sees it.
func (w *world) request(dir, id string) hubapi.Request {
	w.t.Helper()
	out, err := w.access(w.dev, dir, "list", "--mine", "-o", "json")
	if err != nil {
		w.t.Fatal(err)
	}
	var rs []hubapi.Request
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		w.t.Fatalf("list --mine -o json: %v\n%s", err, out)
	}
	for _, r := range rs {
		if r.ID == id {
			return r
		}
	}
	w.t.Fatalf("request %s not in ann's list:\n%s", id, out)
	return hubapi.Request{}
}

// connect runs devenv access connect ref --port port as ann and waits for
// the local port to take connections.
func (w *world) connect(ref string, port int) *proc {
	w.t.Helper()
	return w.connectFrom(w.ann, ref, port)
}

// connectFrom is connect as the device of dir (on host dev).
func (w *world) connectFrom(dir, ref string, port int) *proc {
	w.t.Helper()
	p := w.start(w.dev, "connect "+ref, nil, "access", "--state-dir", dir, "connect", ref, "--port", fmt.Sprint(port))
	testutil.EventuallyNoError(w.t, "connect's listen line", func() error {
		select {
		case <-p.done:
			w.t.Fatalf("connect exited: %v\n%s", p.err, p.stderr.String())
		default:
		}
		if !strings.Contains(p.stdout.String(), fmt.Sprintf("127.0.0.1:%d\n", port)) {
			return errors.New("no listen line yet")
		}
		return nil
	})
	return p
}

func local(port int) string { return fmt.Sprintf("http://127.0.0.1:%d", port) }

func (w *world) testFlow(t *testing.T) {
	r := w.grant(time.Minute)
	if r.State != hubapi.StateApproved || r.Approver != "bob" {
		t.Fatalf("after approval: %+v", r)
	}
	c := w.connect(r.ID, 18080)
	defer c.stop(os.Interrupt)
	req, _ := http.NewRequest(http.MethodGet, local(18080)+"/hello", nil)
	req.Header.Set("Authorization", "Bearer ann-made-this-up")
	status, body, err := do(w.dev, req, 5*time.Second)
	if err != nil || status != 200 || body != "hello from production\n" {
		t.Fatalf("GET through the tunnel: %d %q %v", status, body, err)
	}
	seen := w.prod.last("/hello")
	if seen.auth != "Bearer "+prodSecret {
		t.Errorf("upstream saw Authorization %q, want the gateway's credential", seen.auth)
	}
	if strings.Contains(body, prodSecret) || strings.Contains(c.stdout.String()+c.stderr.String(), prodSecret) {
		t.Error("the developer saw the upstream credential")
	}
	if leaked := grepDir(w.ann, prodSecret); leaked != "" {
		t.Errorf("the upstream credential is in the developer's state: %s", leaked)
	}
	// The upstream is reachable only through the tunnel.
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(w.prod.url, "http://"))
	for _, addr := range []string{"127.0.0.1:" + port, gwIP + ":" + port} {
		if c, err := dialIn(w.dev, addr, time.Second); err == nil {
			c.Close()
			t.Errorf("the developer's host reaches the upstream at %s directly", addr)
		}
	}
}

func (w *world) testReadOnly(t *testing.T) {
	r := w.grant(time.Minute)
	c := w.connect(r.ID, 18081)
	defer c.stop(os.Interrupt)
	before := w.prod.count()
	type attempt struct {
		name, method, path string
		header             http.Header
		body               string
	}
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for _, a := range []attempt{
		{name: "POST", method: http.MethodPost, path: "/orders", body: "x=1"},
		{name: "PUT", method: http.MethodPut, path: "/orders/1", body: "x=1"},
		{name: "DELETE", method: http.MethodDelete, path: "/orders/1"},
		{name: "PATCH", method: http.MethodPatch, path: "/orders/1", body: "x=1"},
		{name: "X-HTTP-Method-Override", method: http.MethodGet, path: "/orders/1", header: http.Header{"X-Http-Method-Override": {"DELETE"}}},
		{name: "_method in the query", method: http.MethodGet, path: "/orders/1?_method=DELETE"},
		{name: "_method in a GET form body", method: http.MethodGet, path: "/orders/1", header: form, body: "_method=DELETE"},
		{name: "WebSocket upgrade", method: http.MethodGet, path: "/ws",
			header: http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}, "Sec-Websocket-Version": {"13"}, "Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="}}},
	} {
		req, _ := http.NewRequest(a.method, local(18081)+a.path, strings.NewReader(a.body))
		if a.body == "" {
			req.Body = http.NoBody
		}
		for k, vs := range a.header {
			req.Header[k] = vs
		}
		status, body, err := do(w.dev, req, 5*time.Second)
		if err != nil || status != http.StatusForbidden || !strings.HasPrefix(body, "devenv gateway: ") {
			t.Errorf("%s: %d %q %v; want 403 with the gateway's reason", a.name, status, body, err)
		}
	}
	if n := w.prod.count(); n != before {
		t.Errorf("%d refused requests reached the upstream: %v", n-before, w.prod.since(before))
	}
	// A plain GET on the same grant still works after the refusals.
	if status, _, err := get(w.dev, local(18081)+"/after-refusals", 5*time.Second); err != nil || status != 200 {
		t.Errorf("GET after the refusals: %d %v", status, err)
	}
}

func (w *world) testApprovalRules(t *testing.T) {
	out, err := w.access(w.dev, w.ann, "request", target, "--for", "5m", "--reason", "e2e: approval rules")
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(out)
	if _, err := w.access(w.dev, w.ann, "approve", id); err == nil || !strings.Contains(err.Error(), "yours") {
		t.Errorf("ann approving her own request: %v", err)
	}
	if _, err := w.access(w.dev, w.carl, "approve", id); err == nil || !strings.Contains(err.Error(), "is a developer") {
		t.Errorf("carl, a developer, approving ann's request: %v", err)
	}
	out, err = w.access(w.appr, w.bob, "request", target, "--for", "5m", "--reason", "e2e: an approver's own")
	if err != nil {
		t.Fatal(err)
	}
	own := strings.TrimSpace(out)
	if _, err := w.access(w.appr, w.bob, "approve", own); err == nil || !strings.Contains(err.Error(), "yours") {
		t.Errorf("bob, an approver, approving his own request: %v", err)
	}
	if r := w.request(w.ann, id); r.State != hubapi.StatePending {
		t.Errorf("after the refused approvals ann's request is %s", r.State)
	}
	if _, err := w.access(w.appr, w.bob, "deny", id, "--reason", "e2e: not like this"); err != nil {
		t.Error(err)
	}
	if _, err := w.access(w.appr, w.bob, "revoke", own); err != nil {
		t.Error(err)
	}
}

func (w *world) testRevoke(t *testing.T) {
	r := w.grant(time.Minute)
	c := w.connect(r.ID, 18082)
	defer c.kill()
	s := startStream(t, w.dev, local(18082))
	s.waitTicks(t, 3)
	start := time.Now()
	if _, err := w.access(w.appr, w.bob, "revoke", r.ID); err != nil {
		t.Fatal(err)
	}
	revoked := time.Now()
	cut := s.waitCut(t)
	t.Logf("revoke: the stream was cut %v after the revoke command returned (%v after it started)",
		cut.Sub(revoked).Round(time.Millisecond), cut.Sub(start).Round(time.Millisecond))
	if cut.Sub(revoked) > time.Second {
		t.Errorf("the stream was cut %v after the revocation, want < 1s", cut.Sub(revoked))
	}
	if code := c.exitCode(5 * time.Second); code != 7 || !strings.Contains(c.stderr.String(), "revoked") {
		t.Errorf("connect after the revocation: exit %d\n%s", code, c.stderr.String())
	}
	if status, _, err := get(w.dev, local(18082)+"/", time.Second); err == nil {
		t.Errorf("GET after the revocation answered %d", status)
	}
}

// testUserRemoved removes carl while his grant streams: the gateway cuts
// the live connection within a second and his connect ends.
func (w *world) testUserRemoved(t *testing.T) {
	r := w.grantFor(w.carl, time.Minute)
	c := w.connectFrom(w.carl, r.ID, 18085)
	defer c.kill()
	s := startStream(t, w.dev, local(18085))
	s.waitTicks(t, 3)
	w.admin("user", "remove", "carl")
	removed := time.Now()
	cut := s.waitCut(t)
	t.Logf("user remove: the stream was cut %v after the command returned", cut.Sub(removed).Round(time.Millisecond))
	if cut.Sub(removed) > time.Second {
		t.Errorf("the stream was cut %v after the user was removed, want < 1s", cut.Sub(removed))
	}
	if code := c.exitCode(5 * time.Second); code != 7 {
		t.Errorf("connect after its user was removed: exit %d (-1: still running), want 7\n%s", code, c.stderr.String())
	}
}

// testRestartsAndDeadline restarts the hub, then the gateway, during one
// grant: the grant survives both, connect works again after reconnecting,
// and the gateway's own timer cuts a live stream at the deadline. The
// stream runs on a raw tunnel with the grant's key, which has no deadline
// of its own, so the cut measured is the gateway's. After the deadline the
// key gets no handshake and connect refuses.
func (w *world) testRestartsAndDeadline(t *testing.T) {
	r := w.grant(20 * time.Second)
	key, err := loadKey(w.ann, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	g := w.gatewayGrant(t, r.ID)
	c := w.connect(r.ID, 18083)
	if status, _, err := get(w.dev, local(18083)+"/before-restarts", 5*time.Second); err != nil || status != 200 {
		t.Fatalf("GET before the restarts: %d %v", status, err)
	}

	down := time.Now()
	w.stopHub(syscall.SIGTERM)
	w.startHub()
	t.Logf("hub restarted in %v", time.Since(down).Round(time.Millisecond))
	if status, _, err := get(w.dev, local(18083)+"/after-hub-restart", 5*time.Second); err != nil || status != 200 {
		t.Errorf("GET after the hub restart: %d %v", status, err)
	}
	if got := w.request(w.ann, r.ID); got.State != hubapi.StateApproved || !got.NotAfter.Equal(r.NotAfter) {
		t.Errorf("after the hub restart the request is %s until %v, was until %v", got.State, got.NotAfter, r.NotAfter)
	}

	w.stopGateway()
	w.startGateway(w.gwConfigs[1]) // the hub-away test needs a short grace
	c.stop(os.Interrupt)
	c = w.connect(r.ID, 18083)
	if status, _, err := get(w.dev, local(18083)+"/after-gateway-restart", 5*time.Second); err != nil || status != 200 {
		t.Fatalf("GET after the gateway restart and a reconnect: %d %v", status, err)
	}
	c.stop(os.Interrupt)

	tun := openRawTunnel(t, w.dev, key, g)
	s := startStream(t, tun, "http://"+g.Gateway.TargetAddress)
	s.waitTicks(t, 3)
	cut := s.waitCut(t)
	late := cut.Sub(r.NotAfter)
	t.Logf("deadline after both restarts: the gateway cut the stream %v after NotAfter", late.Round(time.Millisecond))
	if late < 0 || late > time.Second {
		t.Errorf("cut %v after the deadline, want within [0, 1s)", late)
	}
	if hs := handshake(t, tun); hs.IsZero() {
		t.Error("the raw tunnel streamed without a handshake?")
	}
	tun.Close()

	w.gatewayLogged(t, "grant expired", r.ID) // its peer is gone
	expired := openRawTunnel(t, w.dev, key, g)
	defer expired.Close()
	if status, _, err := get(expired, "http://"+g.Gateway.TargetAddress+"/after-expiry", 3*time.Second); err == nil {
		t.Errorf("the expired grant's key still reaches the target: %d", status)
	}
	if hs := handshake(t, expired); !hs.IsZero() {
		t.Errorf("the expired grant's key got a handshake at %v", hs)
	}
	if _, err := w.access(w.dev, w.ann, "connect", r.ID, "--port", "18084"); err == nil {
		t.Error("connect with the expired grant succeeded")
	} else {
		t.Logf("connect with the expired grant: %v", err)
	}
}

// testHubAway kills the hub during two grants: the short one is still cut
// at its deadline by the gateway, the long one once the grace (3 s) has
// passed without the hub, after which nothing gets through.
func (w *world) testHubAway(t *testing.T) {
	long := w.grant(time.Minute)
	short := w.grant(5 * time.Second)
	key, err := loadKey(w.ann, short.ID)
	if err != nil {
		t.Fatal(err)
	}
	cl := w.connect(long.ID, 18085)
	defer cl.kill()
	tun := openRawTunnel(t, w.dev, key, w.gatewayGrant(t, short.ID)) // no client deadline: the cut is the gateway's
	defer tun.Close()
	ls, ss := startStream(t, w.dev, local(18085)), startStream(t, tun, "http://"+w.gatewayGrant(t, short.ID).Gateway.TargetAddress)
	ls.waitTicks(t, 3)
	ss.waitTicks(t, 3)
	if wait := time.Until(short.NotAfter) - 2*time.Second; wait > 0 {
		time.Sleep(wait) // separate processes on real clocks: the short grant must end within the grace, the behaviour under test
	}
	killed := time.Now() // before the signal: the gateway cannot lose the hub earlier
	w.stopHub(syscall.SIGKILL)

	cut := ss.waitCut(t)
	t.Logf("hub away: the short grant's stream was cut %v after its NotAfter", cut.Sub(short.NotAfter).Round(time.Millisecond))
	if late := cut.Sub(short.NotAfter); late < -50*time.Millisecond || late > time.Second {
		t.Errorf("the short grant was cut %v after its deadline, want within [0, 1s)", late)
	}
	cut = ls.waitCut(t)
	after := cut.Sub(killed)
	t.Logf("hub away: the long grant's stream was cut %v after the hub was killed (grace 3s)", after.Round(time.Millisecond))
	if after < 3*time.Second || after > 5*time.Second {
		t.Errorf("the long grant was cut %v after the hub went away, want the grace (3s) plus at most 2s", after)
	}
	if status, _, err := get(w.dev, local(18085)+"/after-fail-closed", 2*time.Second); err == nil {
		t.Errorf("a new connection after failing closed answered %d", status)
	}
	w.startHub()
	w.admin("user", "list") // the hub answers again
}

func (w *world) testAudit(t *testing.T) {
	testutil.EventuallyNoError(t, "the gateway's records at the hub", func() error {
		out, err := w.access(w.appr, w.bob, "audit", "-o", "json")
		if err != nil {
			return err
		}
		var rs []hubapi.AuditRecord
		if err := json.Unmarshal([]byte(out), &rs); err != nil {
			return err
		}
		for _, want := range []string{"request", "approve", "deny", "grant", "connect", "operation", "disconnect", "revoke", "expire"} {
			if !slices.ContainsFunc(rs, func(r hubapi.AuditRecord) bool { return r.Action == want }) {
				return fmt.Errorf("no %s record yet", want)
			}
		}
		if !slices.ContainsFunc(rs, func(r hubapi.AuditRecord) bool {
			return r.Action == "operation" && r.Verdict == "refused" && r.Detail["method"] == "DELETE"
		}) {
			return errors.New("no refused DELETE yet")
		}
		return nil
	})
	if out, err := w.access(w.appr, w.bob, "audit", "--verify"); err != nil || !strings.HasPrefix(out, "OK: ") {
		t.Errorf("access audit --verify: %v %s", err, out)
	}
	if _, err := w.access(w.dev, w.ann, "audit"); err == nil {
		t.Error("a developer read the audit trail")
	}

	w.stopHub(syscall.SIGTERM)
	defer w.startHub()
	if out, err := w.run(w.hub, "hub", "--data", w.hubDir, "audit", "verify"); err != nil || !strings.Contains(out, "intact") {
		t.Errorf("hub audit verify on the store: %v %s", err, out)
	}
	tampered := t.TempDir()
	copyFile(t, filepath.Join(w.hubDir, "hub.db"), filepath.Join(tampered, "hub.db"))
	editAudit(t, filepath.Join(tampered, "hub.db"), 3, func(r *hubapi.AuditRecord) { r.Actor = "mallory" })
	_, err := w.run(w.hub, "hub", "--data", tampered, "audit", "verify")
	if err == nil || !strings.Contains(err.Error(), "broken") || !strings.Contains(err.Error(), "audit record 3:") {
		t.Errorf("hub audit verify on a tampered store: %v", err)
	}
}

func (w *world) testWebhook(t *testing.T) {
	testutil.EventuallyNoError(t, "webhook notifications", func() error {
		texts := w.hook.texts()
		for _, want := range []string{"ann asks for read-only access to api", "bob approved ann's read-only access to api", "bob denied ann's access to api"} {
			if !slices.ContainsFunc(texts, func(s string) bool { return strings.Contains(s, want) }) {
				return fmt.Errorf("no %q among %d notifications", want, len(texts))
			}
		}
		return nil
	})
}

func (w *world) testUpstreamSawOnlyReads(t *testing.T) {
	for _, r := range w.prod.since(0) {
		if r.method != http.MethodGet && r.method != http.MethodHead && r.method != http.MethodOptions {
			t.Errorf("the upstream saw %s %s", r.method, r.path)
		}
		if r.override != "" || strings.Contains(r.query, "_method") || r.upgrade != "" {
			t.Errorf("the upstream saw an override or upgrade: %+v", r)
		}
		if r.auth != "Bearer "+prodSecret {
			t.Errorf("the upstream saw %s %s with Authorization %q", r.method, r.path, r.auth)
		}
	}
	if w.prod.count() == 0 {
		t.Error("the upstream saw nothing")
	}
}
