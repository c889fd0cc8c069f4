package env_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPackageBoundaries keeps the architecture's boundaries visible: env
// knows nothing of the UI or the VPN, and no library
// imports testing.
func TestPackageBoundaries(t *testing.T) {
	deps := goList(t, "-deps", "github.com/devenv-dev/devenv/env/...")
	for _, forbidden := range []string{
		"charm.land/",
		"github.com/charmbracelet/",
		"github.com/devenv-dev/devenv/tui",
		"github.com/devenv-dev/devenv/vpn",
		"golang.zx2c4.com/",
	} {
		for _, d := range deps {
			if strings.HasPrefix(d, forbidden) {
				t.Errorf("package env depends on %s", d)
			}
		}
	}
	for _, line := range goList(t, "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "github.com/devenv-dev/devenv/...") {
		fields := strings.Fields(line)
		for _, imp := range fields[1:] {
			// Helper packages for tests (…test, like net/http/httptest) may.
			if imp == "testing" && !strings.HasSuffix(fields[0], "test") {
				t.Errorf("non-test package %s imports testing", fields[0])
			}
		}
	}
}

func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}
