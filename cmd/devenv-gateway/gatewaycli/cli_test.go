package gatewaycli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs the command line in dir; the "gateway" the tests name first,
// as devenv users type it, is dropped.
func runCLI(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	t.Chdir(dir)
	if len(args) > 0 && args[0] == "gateway" {
		args = args[1:]
	}
	var out, errb bytes.Buffer
	code = Run(t.Context(), args, &out, &errb)
	return out.String(), errb.String(), code
}

func writeFile(t *testing.T, dir, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The help names the command as the user called it.
func TestHelpNamesTheCaller(t *testing.T) {
	t.Setenv(NameEnv, "devenv gateway")
	out, _, code := runCLI(t, t.TempDir(), "--help")
	if code != ExitOK || !strings.Contains(out, "devenv gateway serve --config gateway.yaml") {
		t.Errorf("exit %d, help:\n%s", code, out)
	}
	_, errOut, code := runCLI(t, t.TempDir(), "status", "-o", "yaml")
	if code != ExitUsage || !strings.Contains(errOut, `--output "yaml": use table or json`) {
		t.Errorf("exit %d, %q; want a usage error", code, errOut)
	}
}
