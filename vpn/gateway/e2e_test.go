//go:build linux

package gateway_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
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

	bolt "go.etcd.io/bbolt"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/vpn"
	"github.com/devenv-dev/devenv/vpn/access"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/netnstest"
	"github.com/devenv-dev/devenv/vpn/wg"
)

// devenvBin is the devenv binary under test, built by TestMain when the
// end-to-end test can run.
var devenvBin string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(func() int {
		if testing.Short() || netnstest.Available() != nil {
			return m.Run()
		}
		dir, err := os.MkdirTemp("", "devenv-e2e-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		devenvBin = filepath.Join(dir, "devenv")
		out, err := exec.Command("go", "build", "-o", devenvBin, "github.com/devenv-dev/devenv/cmd/devenv").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "building devenv: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}())
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
	hubIf, webhookURL  string
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
	t.Run("hub and gateway restarts keep the grant and its deadline; an expired key gets no handshake", w.testRestartsAndDeadline)
	t.Run("hub away: deadlines hold, the gateway fails closed after the grace", w.testHubAway)
	t.Run("audit verifies, and a tampered store does not", w.testAudit)
	t.Run("the webhook heard the requests and decisions", w.testWebhook)
	t.Run("the upstream saw only reads, each with the gateway's credential", w.testUpstreamSawOnlyReads)
	t.Logf("end to end in %v", time.Since(start).Round(time.Millisecond))
}

func newWorld(t *testing.T) *world {
	n, err := netnstest.New("access")
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
	eventually(t, "the gateway's target at the hub", 10*time.Second, func() error {
		out, err := w.access(w.dev, w.ann, "targets")
		if err != nil || !strings.Contains(out, target+" ") {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	})
	return w
}

func (w *world) host(name, addr string) *netnstest.Host {
	h, err := w.net.Host(name, netip.MustParsePrefix(addr))
	if err != nil {
		w.t.Fatal(err)
	}
	return h
}

// --- processes -------------------------------------------------------------

// lockedBuffer is a buffer a running command writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer // guarded by mu
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// proc is a devenv process running in the background inside a host.
type proc struct {
	name           string
	cmd            *exec.Cmd
	stdout, stderr lockedBuffer
	done           chan struct{} // closed when it exited; then err is set
	err            error
}

// start runs devenv args inside h until stopped; the test's end kills it
// and, if the test failed, logs what it wrote.
func (w *world) start(h *netnstest.Host, name string, env []string, args ...string) *proc {
	w.t.Helper()
	p := &proc{name: name, done: make(chan struct{})}
	p.cmd = h.Command(context.Background(), append([]string{devenvBin}, args...)...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		w.t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t := w.t
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("--- %s (%v):\n%s%s", name, p.err, p.stdout.String(), p.stderr.String())
		}
	})
	return p
}

func (p *proc) kill() {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// stop signals p and waits for it to exit, killing it after 10 s.
func (p *proc) stop(sig os.Signal) {
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.kill()
	}
}

// exitCode waits up to limit for p to exit and returns its status; -1
// if it still runs.
func (p *proc) exitCode(limit time.Duration) int {
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(limit):
		return -1
	}
}

// run runs devenv args inside h and returns stdout; the error carries the
// exit status and stderr.
func (w *world) run(h *netnstest.Host, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := h.Command(ctx, append([]string{devenvBin}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("devenv %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// admin runs devenv hub --data DIR args on the hub host.
func (w *world) admin(args ...string) string {
	w.t.Helper()
	out, err := w.run(w.hub, append([]string{"hub", "--data", w.hubDir}, args...)...)
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

// access runs devenv access as the device of state directory dir.
func (w *world) access(h *netnstest.Host, dir string, args ...string) (string, error) {
	return w.run(h, append([]string{"access", "--state-dir", dir}, args...)...)
}

func (w *world) join(h *netnstest.Host, user string) string {
	w.t.Helper()
	inv := strings.TrimSpace(w.admin("invite", "create", "--user", user))
	dir := w.t.TempDir()
	if _, err := w.run(h, "vpn", "--state-dir", dir, "join", inv, "--name", user+"-laptop"); err != nil {
		w.t.Fatal(err)
	}
	return dir
}

func (w *world) startHub() {
	w.t.Helper()
	p := w.start(w.hub, "hub", nil, "hub", "--data", w.hubDir, "serve", "--listen", hubIP+":8443", "--public-url", hubURL,
		"--endpoint", hubIP+":51820", "--interface", w.hubIf, "--webhook", w.hook.url, "--request-window", "2m")
	w.mu.Lock()
	w.hubProc = p
	w.mu.Unlock()
	eventually(w.t, "the hub's admin socket", 10*time.Second, func() error {
		select {
		case <-p.done:
			w.t.Fatalf("the hub exited: %v\n%s", p.err, p.stderr.String())
		default:
		}
		_, err := w.run(w.hub, "hub", "--data", w.hubDir, "user", "list")
		return err
	})
	eventually(w.t, "the hub's API", 10*time.Second, func() error {
		c, err := dialIn(w.hub, hubIP+":8443", time.Second)
		if err == nil {
			c.Close()
		}
		return err
	})
}

func (w *world) stopHub(sig os.Signal) {
	w.mu.Lock()
	p := w.hubProc
	w.mu.Unlock()
	p.stop(sig)
}

func (w *world) gatewayConfig(fingerprint, token, grace string) string {
	path := filepath.Join(w.t.TempDir(), "gateway.yaml")
	text := fmt.Sprintf(`hub: {url: %q, fingerprint: %q, token: %q}
wireguard: {listen_port: 51821, endpoint: %q}
network: 100.101.0.0/24
state_dir: %q
grace: %s
targets:
  - name: %s
    protocol: http
    upstream: %q
    credentials: {env: PROD_API_TOKEN}
    max_ttl: 1h
    approver_role: approver
`, hubURL, fingerprint, token, gwEndpoint, w.gwState, grace, target, w.prod.url)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		w.t.Fatal(err)
	}
	return path
}

// startGateway runs devenv gateway serve on config, with the upstream's
// secret in its environment only.
func (w *world) startGateway(config string) {
	w.t.Helper()
	p := w.start(w.gw, "gateway", []string{"PROD_API_TOKEN=" + prodSecret}, "gateway", "--config", config, "serve")
	w.mu.Lock()
	w.gwProc = p
	w.mu.Unlock()
	eventually(w.t, "the gateway up", 10*time.Second, func() error {
		select {
		case <-p.done:
			w.t.Fatalf("the gateway exited: %v\n%s", p.err, p.stderr.String())
		default:
		}
		if !strings.Contains(p.stderr.String(), "registered with the hub") {
			return errors.New("not registered yet")
		}
		return nil
	})
}

func (w *world) stopGateway() {
	w.mu.Lock()
	p := w.gwProc
	w.mu.Unlock()
	p.stop(syscall.SIGTERM)
}

// --- the access flow -------------------------------------------------------

// grant asks for access as ann and has bob approve it for ttl.
func (w *world) grant(ttl time.Duration) hubapi.Request {
	w.t.Helper()
	out, err := w.access(w.dev, w.ann, "request", target, "--for", "10m", "--reason", "e2e: bug 1234")
	if err != nil {
		w.t.Fatal(err)
	}
	id := strings.TrimSpace(out)
	if _, err := w.access(w.appr, w.bob, "approve", id, "--for", ttl.String()); err != nil {
		w.t.Fatal(err)
	}
	return w.request(w.ann, id)
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
	p := w.start(w.dev, "connect "+ref, nil, "access", "--state-dir", w.ann, "connect", ref, "--port", fmt.Sprint(port))
	eventually(w.t, "connect's listen line", 10*time.Second, func() error {
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
	cut := s.waitCut(t, 5*time.Second)
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
	cut := s.waitCut(t, time.Until(r.NotAfter)+5*time.Second)
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
		time.Sleep(wait) // the short grant ends within the grace
	}
	killed := time.Now() // before the signal: the gateway cannot lose the hub earlier
	w.stopHub(syscall.SIGKILL)

	cut := ss.waitCut(t, 5*time.Second)
	t.Logf("hub away: the short grant's stream was cut %v after its NotAfter", cut.Sub(short.NotAfter).Round(time.Millisecond))
	if late := cut.Sub(short.NotAfter); late < -50*time.Millisecond || late > time.Second {
		t.Errorf("the short grant was cut %v after its deadline, want within [0, 1s)", late)
	}
	cut = ls.waitCut(t, 10*time.Second)
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
	eventually(t, "the gateway's records at the hub", 10*time.Second, func() error {
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
	eventually(t, "webhook notifications", 5*time.Second, func() error {
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

// --- the gateway's state and raw tunnels -------------------------------

// gatewayGrant reads grant id from the gateway's saved grants.
func (w *world) gatewayGrant(t *testing.T, id string) hubapi.Grant {
	t.Helper()
	var g hubapi.Grant
	eventually(t, "the grant at the gateway", 5*time.Second, func() error {
		b, err := os.ReadFile(filepath.Join(w.gwState, "grants.json"))
		if err != nil {
			return err
		}
		var saved struct{ Grants []hubapi.Grant }
		if err := json.Unmarshal(b, &saved); err != nil {
			return err
		}
		for _, sg := range saved.Grants {
			if sg.RequestID == id {
				g = sg
				return nil
			}
		}
		return errors.New("not there yet")
	})
	return g
}

// gatewayLogged waits for the gateway's log line msg about request id.
func (w *world) gatewayLogged(t *testing.T, msg, id string) {
	t.Helper()
	eventually(t, "the gateway's "+msg+" of "+id, 3*time.Second, func() error {
		w.mu.Lock()
		p := w.gwProc
		w.mu.Unlock()
		for line := range strings.Lines(p.stderr.String()) {
			if strings.Contains(line, "msg=\""+msg+"\"") && strings.Contains(line, "request="+id) {
				return nil
			}
		}
		return errors.New("not logged yet")
	})
}

// handshake is when a raw tunnel last completed a handshake with the
// gateway; zero: never.
func handshake(t *testing.T, tun rawTunnel) time.Time {
	t.Helper()
	ps, err := tun.Peers()
	if err != nil || len(ps) != 1 {
		t.Fatalf("the raw tunnel's peers: %v %v", ps, err)
	}
	return ps[0].LastHandshake
}

func loadKey(dir, id string) (wgtypes.Key, error) {
	ks, err := access.NewKeyStore(dir)
	if err != nil {
		return wgtypes.Key{}, err
	}
	return ks.Load(id)
}

// rawTunnel is a netstack WireGuard device in a host with a grant's key:
// what a client holding only the key could do, with no deadline of its own.
type rawTunnel struct{ wg.NetstackDevice }

func openRawTunnel(t *testing.T, h *netnstest.Host, key wgtypes.Key, g hubapi.Grant) rawTunnel {
	t.Helper()
	addr := netip.MustParsePrefix(g.ClientAddress)
	gwKey, err := wgtypes.ParseKey(g.Gateway.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort(g.Gateway.TargetAddress)
	var d wg.Device
	err = h.Do(func() error {
		var err error
		if d, err = wg.Open(wg.Options{Backend: wg.BackendNetstack, Config: wg.Config{PrivateKey: key, Address: addr}}); err != nil {
			return err
		}
		return d.SetPeer(wg.Peer{PublicKey: gwKey, Endpoint: g.Gateway.Endpoint,
			AllowedIPs: []netip.Prefix{netip.PrefixFrom(ap.Addr(), ap.Addr().BitLen())}})
	})
	if err != nil {
		t.Fatal(err)
	}
	return rawTunnel{d.(wg.NetstackDevice)}
}

// --- HTTP through hosts and tunnels --------------------------------------

// dialer dials TCP somewhere: inside a host, or through a tunnel.
type dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// hostDialer dials from inside a host's namespace.
type hostDialer struct{ h *netnstest.Host }

func (d hostDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := d.h.Do(func() error {
		var err error
		c, err = (&net.Dialer{}).DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

func dialerOf(via any) dialer {
	if h, ok := via.(*netnstest.Host); ok {
		return hostDialer{h}
	}
	return via.(dialer)
}

func dialIn(h *netnstest.Host, addr string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return hostDialer{h}.DialContext(ctx, "tcp", addr)
}

func client(via any, timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{
		DisableKeepAlives: true, Proxy: nil, DialContext: dialerOf(via).DialContext,
	}}
}

func do(via any, req *http.Request, timeout time.Duration) (int, string, error) {
	resp, err := client(via, timeout).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func get(via any, url string, timeout time.Duration) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	return do(via, req, timeout)
}

// stream is a GET /stream being read: a tick every 50 ms until it is cut.
type stream struct {
	ticks chan struct{}
	cut   chan time.Time // when the read failed
}

func startStream(t *testing.T, via any, base string) *stream {
	t.Helper()
	s := &stream{ticks: make(chan struct{}, 1000), cut: make(chan time.Time, 1)}
	resp, err := client(via, 0).Get(base + "/stream")
	if err != nil {
		t.Fatalf("GET /stream: %v", err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET /stream: %s", resp.Status)
	}
	go func() {
		defer resp.Body.Close()
		buf := make([]byte, 64)
		for {
			if _, err := resp.Body.Read(buf); err != nil {
				s.cut <- time.Now()
				return
			}
			select {
			case s.ticks <- struct{}{}:
			default:
			}
		}
	}()
	return s
}

func (s *stream) waitTicks(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-s.ticks:
		case <-time.After(3 * time.Second):
			t.Fatal("the stream does not tick")
		}
	}
}

func (s *stream) waitCut(t *testing.T, limit time.Duration) time.Time {
	t.Helper()
	select {
	case at := <-s.cut:
		return at
	case <-time.After(limit):
		t.Fatalf("the stream still runs after %v", limit)
		return time.Time{}
	}
}

// --- the production upstream and the webhook receiver ------------------

// seen is one request that reached the upstream.
type seen struct {
	method, path, query, auth, override, upgrade string
}

// prodServer is the "production" HTTP server, on the gateway host's
// loopback: it records every request that reaches it, answers GET /, and
// streams a line every 50 ms on /stream until the connection is cut.
type prodServer struct {
	url string
	mu  sync.Mutex
	got []seen // guarded by mu
}

func startProd(t *testing.T, h *netnstest.Host) *prodServer {
	var ln net.Listener
	if err := h.Do(func() error {
		var err error
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	p := &prodServer{url: "http://" + ln.Addr().String()}
	srv := &http.Server{Handler: p}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return p
}

func (p *prodServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.got = append(p.got, seen{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, auth: r.Header.Get("Authorization"),
		override: r.Header.Get("X-HTTP-Method-Override"), upgrade: r.Header.Get("Upgrade")})
	p.mu.Unlock()
	if r.URL.Path != "/stream" {
		io.WriteString(w, "hello from production\n")
		return
	}
	for {
		if _, err := io.WriteString(w, "tick\n"); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (p *prodServer) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.got)
}

func (p *prodServer) since(i int) []seen {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.got[i:])
}

func (p *prodServer) last(path string) seen {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.got) - 1; i >= 0; i-- {
		if p.got[i].path == path {
			return p.got[i]
		}
	}
	return seen{}
}

// webhookSink receives the hub's Slack-compatible notifications, on the
// hub host's loopback.
type webhookSink struct {
	url string
	mu  sync.Mutex
	got []string // guarded by mu
}

func startWebhook(t *testing.T, h *netnstest.Host) *webhookSink {
	var ln net.Listener
	if err := h.Do(func() error {
		var err error
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	s := &webhookSink{url: "http://" + ln.Addr().String() + "/hook"}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct{ Text string }
		if err := json.NewDecoder(r.Body).Decode(&msg); err != nil || r.Method != http.MethodPost {
			http.Error(w, "want a POST of {\"text\": …}", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.got = append(s.got, msg.Text)
		s.mu.Unlock()
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *webhookSink) texts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// --- files -------------------------------------------------------------

// grepDir names the first file under dir that contains s, or "".
func grepDir(dir, s string) string {
	found := ""
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || found != "" {
			return nil
		}
		if b, err := os.ReadFile(path); err == nil && bytes.Contains(b, []byte(s)) {
			found = path
		}
		return nil
	})
	return found
}

func copyFile(t *testing.T, from, to string) {
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// editAudit rewrites audit record seq in a hub store, as someone with the
// file but not the chain's secrets would.
func editAudit(t *testing.T, store string, seq uint64, edit func(*hubapi.AuditRecord)) {
	db, err := bolt.Open(store, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("audit"))
		key := binary.BigEndian.AppendUint64(nil, seq)
		var r hubapi.AuditRecord
		if err := json.Unmarshal(b.Get(key), &r); err != nil {
			return err
		}
		edit(&r)
		raw, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return b.Put(key, raw)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func eventually(t *testing.T, what string, limit time.Duration, f func() error) {
	t.Helper()
	start := time.Now()
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Since(start) > limit {
			t.Fatalf("%s: still failing after %v: %v", what, limit, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
