package gatewaycli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// gateway status reads the state directory: the last contact with the
// hub, the saved grants, and the audit records waiting for the hub.
func TestGatewayStatus(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	if err := os.Mkdir(state, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GW_TEST_GRAFANA_TOKEN", "s3cret")
	writeFile(t, dir, "gw.yaml", gatewayYAML+"state_dir: "+state+"\n")
	contact := time.Now().Add(-10 * time.Minute).UTC()
	oldest := time.Now().Add(-2 * time.Hour).UTC()
	writeFile(t, state, "hub.contact", contact.Format(time.RFC3339Nano)+"\n")
	var spool strings.Builder
	for i, at := range []time.Time{oldest, oldest.Add(time.Minute), oldest.Add(2 * time.Minute)} {
		b, _ := json.Marshal(hubapi.AuditRecord{Time: at, Action: "operation", Target: "grafana", RequestID: fmt.Sprint("r", i)})
		spool.Write(append(b, '\n'))
	}
	writeFile(t, state, "audit.jsonl", spool.String())
	out, errOut, code := runCLI(t, dir, "gateway", "status", "--config", filepath.Join(dir, "gw.yaml"))
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"ago); longer than the grace of 30s: saved grants wait for the hub", "saved grants:      0",
		"audit backlog:     3 records", "(2h00m ago)"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	out, _, code = runCLI(t, dir, "gateway", "status", "-o", "json", "--config", filepath.Join(dir, "gw.yaml"))
	var st struct {
		LastContact time.Time `json:"last_contact"`
		Backlog     struct {
			Records int       `json:"records"`
			Oldest  time.Time `json:"oldest"`
		} `json:"audit_backlog"`
	}
	if code != ExitOK || json.Unmarshal([]byte(out), &st) != nil || !st.LastContact.Equal(contact) ||
		st.Backlog.Records != 3 || !st.Backlog.Oldest.Equal(oldest) {
		t.Errorf("status as JSON: %s", out)
	}
}
