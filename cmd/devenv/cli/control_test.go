package cli

import (
	"bytes"
	"strings"
	"testing"
)

// Without a terminal to ask on, rm needs -f, and says so before it reads
// envs.yaml or connects to the engine.
func TestRmWithoutTerminalNeedsForce(t *testing.T) {
	_, errOut, code := runCLI(t, t.TempDir(), "rm", "api")
	if code != ExitUsage || !strings.Contains(errOut, "pass -f") {
		t.Errorf("rm without -f and a terminal: code %d, %q", code, errOut)
	}
	// With -f it goes on, here to the missing envs.yaml.
	_, errOut, code = runCLI(t, t.TempDir(), "rm", "-f")
	if code != ExitUsage || strings.Contains(errOut, "pass -f") {
		t.Errorf("rm -f without envs.yaml: code %d, %q", code, errOut)
	}
}

func TestConfirmRemoval(t *testing.T) {
	for _, tc := range []struct {
		name, answer string
		want         bool
	}{
		{"yes", "y\n", true},
		{"yes in full", " YES \n", true},
		{"no", "n\n", false},
		{"enter", "\n", false},
		{"end of input", "", false},
		{"other", "sure\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			got, err := confirmRemoval(strings.NewReader(tc.answer), &out, []string{"demo-api", "demo-db"})
			if err != nil || got != tc.want {
				t.Errorf("confirmRemoval(%q) = %v, %v; want %v", tc.answer, got, err, tc.want)
			}
			if want := "Going to remove demo-api, demo-db\nAre you sure? [y/N] "; out.String() != want {
				t.Errorf("asked %q, want %q", out.String(), want)
			}
		})
	}
}
