package cli

import (
	"strings"
	"testing"
)

func TestRootOffATerminalPrintsHelp(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "envs.yaml", "name: demo\nservices:\n  web:\n    image: nginx:1\n")
	out, errOut, code := runCLI(t, dir)
	if code != 0 || !strings.Contains(out, "Usage:") || !strings.Contains(out, "tui") {
		t.Errorf("devenv off a terminal: code %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

func TestTUIUnknownEnvironmentIsAUsageError(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "envs.yaml", "name: demo\nservices:\n  web:\n    image: nginx:1\n")
	_, errOut, code := runCLI(t, dir, "tui", "nosuch")
	if code != ExitUsage || !strings.Contains(errOut, "nosuch") {
		t.Errorf("devenv tui nosuch: code %d, stderr %q", code, errOut)
	}
}

func TestTUIOffATerminalIsAUsageError(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "envs.yaml", "name: demo\nservices:\n  web:\n    image: nginx:1\n")
	_, errOut, code := runCLI(t, dir, "tui")
	if code != ExitUsage || !strings.Contains(errOut, "needs a terminal") {
		t.Errorf("devenv tui off a terminal: code %d, stderr %q", code, errOut)
	}
}
