package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
)

// hub audit quarantine lists what a gateway uploaded that the hub could
// not attribute, through the running hub's admin socket.
func TestHubAuditQuarantine(t *testing.T) {
	data := t.TempDir()
	h := runTestHub(t, data)
	gw, err := h.AddGateway("gw1")
	if err != nil {
		t.Fatal(err)
	}
	c := hubclient.New("https://"+h.Addr().String(), h.Fingerprint(), gw.Token)
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	res, err := c.GatewayAudit(ctx, []hubapi.AuditRecord{{Time: time.Now().Add(-48 * time.Hour), Action: "approve",
		Target: "prod\x1b[2J", RequestID: "r-1"}})
	if err != nil || len(res.Quarantined) != 1 {
		t.Fatalf("upload: %+v, %v", res, err)
	}
	out, errOut, code := runCLI(t, t.TempDir(), "hub", "audit", "quarantine", "--state-dir", data)
	if code != ExitOK || !strings.Contains(out, "gw1") || !strings.Contains(out, "approve") || !strings.Contains(out, "is not one a gateway records") {
		t.Errorf("quarantine: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("the listing prints a gateway's escape sequence: %q", out)
	}
}
