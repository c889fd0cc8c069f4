package main

import (
	"slices"
	"strings"
	"unicode"
)

// states are the engine's words for a container's state, as UIs show them.
var states = []string{"running", "exited", "restarting", "paused", "created", "dead", "removing"}

// words splits a screen line into words that keep container names whole.
func words(line string) []string {
	return strings.FieldsFunc(line, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' && r != '.'
	})
}

// stateOf is the state word on the first line of screen that names label,
// or "" when no line does or that line has no state word.
func stateOf(screen, label string) string {
	for _, l := range strings.Split(screen, "\n") {
		w := words(l)
		if !slices.Contains(w, label) {
			continue
		}
		for _, x := range w {
			if slices.Contains(states, x) {
				return x
			}
		}
		return ""
	}
	return ""
}

// shown returns the labels that appear in state on screen, in order.
func shown(screen string, labels []string, state string) []string {
	var out []string
	for _, l := range labels {
		if stateOf(screen, l) == state {
			out = append(out, l)
		}
	}
	return out
}
