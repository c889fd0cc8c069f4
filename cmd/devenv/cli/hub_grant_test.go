package cli

import (
	"strings"
	"testing"
)

// TestHubGrantCommands runs devenv hub grant against a real hub's admin
// socket; the hub's own tests revoke real grants through the same calls.
func TestHubGrantCommands(t *testing.T) {
	data := t.TempDir()
	runTestHub(t, data)
	dir := t.TempDir()
	out, errOut, code := runCLI(t, dir, "hub", "grant", "list", "--state-dir", data)
	if code != 0 || strings.TrimSpace(out) != "ID  USER  TARGET  STATE  UNTIL  REASON" {
		t.Errorf("grant list with nothing open: code %d, stdout %q, stderr %q", code, out, errOut)
	}
	out, _, code = runCLI(t, dir, "hub", "grant", "list", "-o", "json", "--state-dir", data)
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("grant list -o json: code %d, %q", code, out)
	}
	_, errOut, code = runCLI(t, dir, "hub", "grant", "revoke", "nope", "--state-dir", data)
	if code != ExitError || !strings.Contains(errOut, `no request "nope"`) {
		t.Errorf("grant revoke of an unknown request: code %d, stderr %q", code, errOut)
	}
	if got := complete(t, dir, "hub", "--state-dir", data, "grant", "revoke", ""); got != nil {
		t.Errorf("completion of grant revoke with nothing open: %q", got)
	}
	if got := complete(t, dir, "hub", "--state-dir", t.TempDir(), "grant", "revoke", ""); got != nil {
		t.Errorf("completion of grant revoke without a hub: %q", got)
	}
	_, errOut, code = runCLI(t, dir, "hub", "grant", "revoke", "--state-dir", data)
	if code != ExitUsage || !strings.Contains(errOut, "devenv hub grant list") {
		t.Errorf("grant revoke without an ID: code %d, stderr %q", code, errOut)
	}
}
