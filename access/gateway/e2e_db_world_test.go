//go:build linux

package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/netnstest"
	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/vpn"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// dbTarget is one database target of the gateway's configuration.
type dbTarget struct {
	name, protocol, upstream string
	credentials              string   // the YAML flow mapping of credentials:
	database                 string   // postgres: the upstream database
	env                      []string // the gateway's environment: the secrets credentials name
}

// newDBHosts makes the network of a database world: hub, gateway,
// developer (ann) and approver (bob) hosts, nothing running yet. The test
// starts its database servers on the gateway host, then calls serve.
func newDBHosts(t *testing.T) *world {
	if testing.Short() {
		t.Skip("multi-host test with real database servers; without -short")
	}
	if err := netnstest.Available(); err != nil {
		t.Skip(err)
	}
	return newHosts(t, "dbacc")
}

// serve runs the real hub and the real gateway with targets, joins ann
// (developer) and bob (approver), and waits until ann sees every target.
func (w *world) serve(targets ...dbTarget) {
	t := w.t
	t.Helper()
	w.hook = startWebhook(t, w.hub)
	w.startHub()
	w.admin("user", "add", "ann", "--role", "developer")
	w.admin("user", "add", "bob", "--role", "approver")
	w.ann, w.bob = w.join(w.dev, "ann"), w.join(w.appr, "bob")
	st, err := vpn.LoadState(w.ann)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(w.admin("gateway", "add", "prod"))
	var env []string
	for _, tg := range targets {
		env = append(env, tg.env...)
	}
	p := w.start(w.gw, "gateway", env, "gateway", "--config", w.dbGatewayConfig(st.Fingerprint, token, targets), "serve")
	w.mu.Lock()
	w.gwProc = p
	w.mu.Unlock()
	testutil.EventuallyNoError(t, "every target at the hub", func() error {
		select {
		case <-p.done:
			t.Fatalf("the gateway exited: %v\n%s", p.err, p.stderr.String())
		default:
		}
		out, err := w.access(w.dev, w.ann, "targets")
		if err != nil {
			return err
		}
		for _, tg := range targets {
			if !strings.Contains(out, tg.name+" ") {
				return fmt.Errorf("no %s yet: %s", tg.name, out)
			}
		}
		return nil
	})
}

func (w *world) dbGatewayConfig(fingerprint, token string, targets []dbTarget) string {
	var b strings.Builder
	fmt.Fprintf(&b, "hub: {url: %q, fingerprint: %q, token: %q}\nwireguard: {listen_port: 51821, endpoint: %q}\n"+
		"network: 100.101.0.0/24\nstate_dir: %q\ngrace: 30s\ntargets:\n", hubURL, fingerprint, token, gwEndpoint, w.gwState)
	for _, tg := range targets {
		fmt.Fprintf(&b, "  - name: %s\n    protocol: %s\n    upstream: %q\n    max_ttl: 1h\n    approver_role: approver\n",
			tg.name, tg.protocol, tg.upstream)
		if tg.credentials != "" {
			fmt.Fprintf(&b, "    credentials: %s\n", tg.credentials)
		}
		if tg.database != "" {
			fmt.Fprintf(&b, "    database: %s\n", tg.database)
		}
		if tg.protocol == "postgres" {
			// The login can write, so that the proxy is tested on its own.
			b.WriteString("    login_can_write: accept\n")
		}
	}
	path := filepath.Join(w.t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		w.t.Fatal(err)
	}
	return path
}

// grantOf has ann ask for access to target and bob approve it for ttl.
func (w *world) grantOf(target string, ttl time.Duration) hubapi.Request {
	w.t.Helper()
	out, err := w.access(w.dev, w.ann, "request", target, "--for", "10m", "--reason", "e2e: database target")
	if err != nil {
		w.t.Fatal(err)
	}
	id := strings.TrimSpace(out)
	if _, err := w.access(w.appr, w.bob, "approve", id, "--for", ttl.String()); err != nil {
		w.t.Fatal(err)
	}
	return w.request(w.ann, id)
}

// operations waits until the hub's audit trail holds the gateway's
// operation records of target that ok accepts, and returns them.
func (w *world) operations(t *testing.T, target string, ok func([]hubapi.AuditRecord) error) []hubapi.AuditRecord {
	t.Helper()
	var ops []hubapi.AuditRecord
	testutil.EventuallyNoError(t, "the "+target+" operations at the hub", func() error {
		out, err := w.access(w.appr, w.bob, "audit", "--target", target, "-o", "json")
		if err != nil {
			return err
		}
		var rs []hubapi.AuditRecord
		if err := json.Unmarshal([]byte(out), &rs); err != nil {
			return err
		}
		ops = ops[:0]
		for _, r := range rs {
			if r.Action == "operation" {
				ops = append(ops, r)
			}
		}
		return ok(ops)
	})
	return ops
}

// tool runs a client tool inside h with extra environment and returns
// its combined output; the error carries the exit status.
func tool(h *netnstest.Host, limit time.Duration, env []string, argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := h.Command(ctx, argv...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = errors.Join(err, fmt.Errorf("%s still ran after %v", filepath.Base(argv[0]), limit))
	}
	return string(out), err
}

// needTool finds a client tool, or skips the test saying which package
// brings it.
func needTool(t *testing.T, name, pkg string, globs ...string) string {
	t.Helper()
	for _, g := range globs {
		if m, _ := filepath.Glob(g); len(m) > 0 {
			return m[len(m)-1]
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (Debian: apt-get install %s)", name, pkg)
	}
	return p
}
