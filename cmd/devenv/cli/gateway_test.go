package cli

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// devenv gateway runs devenv-gateway from PATH with the same arguments,
// streams and exit status, and says how to install it when it is missing.
func TestGatewayRunsItsBinary(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in gateway is a shell script")
	}
	bin := t.TempDir()
	t.Setenv("PATH", bin)
	dir := t.TempDir()
	_, errOut, code := runCLI(t, dir, "gateway", "check")
	if code != ExitError || !strings.Contains(errOut, "devenv gateway runs devenv-gateway, which is neither next to devenv") ||
		!strings.Contains(errOut, "go install github.com/devenv-dev/devenv/cmd/devenv-gateway@latest") {
		t.Errorf("without the binary: exit %d, %q", code, errOut)
	}

	out, _, code := runCLI(t, dir, "gateway", "--help")
	if code != ExitOK || !strings.Contains(out, "go install github.com/devenv-dev/devenv/cmd/devenv-gateway@latest") {
		t.Errorf("help without the binary: exit %d, %q", code, out)
	}

	script := "#!/bin/sh\necho \"args: $*\"\necho \"as: $DEVENV_GATEWAY_AS\" >&2\nexit 7\n"
	if err := os.WriteFile(filepath.Join(bin, "devenv-gateway"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runCLI(t, dir, "gateway", "status", "--config", "gw.yaml", "-o", "json")
	if code != 7 || out != "args: status --config gw.yaml -o json\n" || errOut != "as: devenv gateway\n" {
		t.Errorf("exit %d, stdout %q, stderr %q; want the binary's", code, out, errOut)
	}
}
