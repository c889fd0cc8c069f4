package main

import (
	"os/exec"
	"strings"
	"testing"
)

// initQueries are packages whose init asks the terminal something and waits
// up to seconds for an answer: linked into devenv, every command would stall
// on a terminal that stays silent (TestNoStallOnSilentTerminal shows it at
// run time; this names the culprit at build time).
var initQueries = []string{
	"github.com/charmbracelet/bubbletea", // v1: its init asks for the background colour
	"charm.land/lipgloss/v2/compat",      // its init does the same
	"github.com/muesli/termenv",          // lipgloss v1's, asked by bubbletea v1's init
}

func TestNoTerminalQueryAtInit(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, bad := range initQueries {
			if dep == bad {
				t.Errorf("devenv links %s, whose init queries the terminal", dep)
			}
		}
	}
}
