package gatewaycli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

const gatewayYAML = `hub:
  url: https://hub.example:8443
  fingerprint: 3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a
  token: gw-token
wireguard: {endpoint: "gw.example:51821"}
targets:
  - name: grafana
    protocol: http
    upstream: http://grafana.internal:3000
    credentials: {env: GW_TEST_GRAFANA_TOKEN}
    max_ttl: 1h
    approvers: [alice]
    auto_approve: {role: admin, ttl: 15m}
  - name: replica
    protocol: tcp
    upstream: db-replica.internal:5432
    read_only_upstream: true
    max_ttl: 30m
    approver_role: approver
    break_glass: {ttl: 10m}
`

func TestGatewayCheck(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "gw.yaml", gatewayYAML)
	file := filepath.Join(dir, "gw.yaml")

	t.Setenv("GW_TEST_GRAFANA_TOKEN", "s3cret")
	out, errOut, code := runCLI(t, dir, "gateway", "check", "--config", file)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := `TARGET   PROTOCOL  TUNNEL ADDRESS     UPSTREAM                      MAX TTL  APPROVAL
grafana  http      100.101.0.1:10000  http://grafana.internal:3000  1h       alice; auto admin ≤15m
replica  tcp       100.101.0.1:10001  db-replica.internal:5432      30m      role approver; break-glass ≤10m
`
	if out != want {
		t.Errorf("check printed\n%s\nwant\n%s", out, want)
	}
	if strings.Contains(out+errOut, "s3cret") {
		t.Error("check printed a secret")
	}

	t.Setenv("GW_TEST_GRAFANA_TOKEN", "")
	_, errOut, code = runCLI(t, dir, "gateway", "check", "--config", file)
	if code != ExitUsage || !strings.Contains(errOut, `target "grafana": credentials: environment variable GW_TEST_GRAFANA_TOKEN is not set`) {
		t.Errorf("exit %d, %q; want a usage error naming the variable", code, errOut)
	}

	writeFile(t, dir, "bad.yaml", strings.Replace(gatewayYAML, "protocol: tcp", "protocol: postgres", 1))
	_, errOut, code = runCLI(t, dir, "gateway", "serve", "--config", filepath.Join(dir, "bad.yaml"))
	if code != ExitUsage || !strings.Contains(errOut, "bad.yaml:14: target \"replica\": postgres targets need credentials with a user") {
		t.Errorf("exit %d, %q; want the file's line and the reason", code, errOut)
	}
}

func TestGatewayCheckJSON(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "gw.yaml", gatewayYAML)
	t.Setenv("GW_TEST_GRAFANA_TOKEN", "s3cret")
	out, errOut, code := runCLI(t, dir, "gateway", "check", "--offline", "-o", "json", "--config", filepath.Join(dir, "gw.yaml"))
	var got gatewayCheckJSON
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("gateway check -o json: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	if len(got.Targets) != 2 || got.Targets[0].Name != "grafana" || got.Targets[0].TunnelAddress != "100.101.0.1:10000" ||
		got.Targets[1].MaxTTL != "30m" || got.Logins == nil || !strings.HasSuffix(got.Config, "gw.yaml") {
		t.Errorf("gateway check -o json: %+v", got)
	}
	if strings.Contains(out, "s3cret") {
		t.Error("gateway check -o json printed a secret")
	}
}
