package cli

import (
	"io"
	"os"
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

// Stdin goes to a one-off as Compose's run gives it: a pipe is attached
// without a TTY, -i=false or -d detach it.
func TestRunStdio(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	text := strings.NewReader("hi")
	for _, tc := range []struct {
		name                       string
		in                         io.Reader
		detach, noTTY, interactive bool
		tty                        bool
		attached                   io.Reader
	}{
		{"pipe", r, false, false, true, false, r},
		{"pipe -T", r, false, true, true, false, r},
		{"reader", text, false, false, true, false, text},
		{"-i=false", r, false, false, false, false, nil},
		{"-d", r, true, false, true, false, nil},
		{"no stdin", nil, false, false, true, false, nil},
	} {
		tty, attached := runStdio(tc.in, tc.detach, tc.noTTY, tc.interactive)
		if tty != tc.tty || attached != tc.attached {
			t.Errorf("%s: tty %v, attached %v; want %v, %v", tc.name, tty, attached, tc.tty, tc.attached)
		}
	}
}
