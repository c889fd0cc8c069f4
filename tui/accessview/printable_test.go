package accessview

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestReasonsCannotDriveTheTerminal: a requester's reason with escape
// sequences (one that moves the cursor to make "asks 1h" read "asks 5m")
// is drawn as visible text, never sent to the terminal as a sequence.
func TestReasonsCannotDriveTheTerminal(t *testing.T) {
	f := sampleHub()
	f.pending[0].Reason = "incident 42\x1b[9D\x1b[2K5m please\u202e"
	m := newTestModel(t, f, 160, 40)
	v := m.View()
	if strings.Contains(v, "\x1b[9D") || strings.Contains(v, "\x1b[2K") || strings.Contains(v, "\u202e") {
		t.Errorf("the view carries the reason's sequences raw:\n%q", v)
	}
	if text := ansi.Strip(v); !strings.Contains(text, `incident 42\x1b[9D\x1b[2K5m please\u202e`) {
		t.Errorf("the reason is not shown with its escapes made visible:\n%s", text)
	}
}
