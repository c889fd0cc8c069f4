package cli

import (
	"strings"
	"testing"
)

// Flags before SERVICE are run's; after it, they are the command's.
func TestRunFlagsAndUsage(t *testing.T) {
	_, errOut, code := runCLI(t, t.TempDir(), "run", "--rm", "-d", "api")
	if code != ExitUsage || !strings.Contains(errOut, "--rm and -d together") {
		t.Errorf("run --rm -d: code %d, %q", code, errOut)
	}
	// After SERVICE, --rm -d go to the command: run gets as far as looking
	// for envs.yaml.
	_, errOut, code = runCLI(t, t.TempDir(), "run", "api", "--rm", "-d")
	if code != ExitUsage || strings.Contains(errOut, "together") || strings.Contains(errOut, "unknown") {
		t.Errorf("run api --rm -d: code %d, %q", code, errOut)
	}
	if _, _, code := runCLI(t, t.TempDir(), "run"); code != ExitUsage {
		t.Errorf("run without a service: code %d", code)
	}
}
