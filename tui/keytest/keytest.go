// Package keytest makes key presses for the UI's tests, as the terminal
// input decoder would deliver them.
package keytest

import (
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
)

var named = map[string]tea.Key{
	"enter":     {Code: tea.KeyEnter},
	"esc":       {Code: tea.KeyEscape},
	"tab":       {Code: tea.KeyTab},
	"shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift},
	"up":        {Code: tea.KeyUp},
	"down":      {Code: tea.KeyDown},
	"left":      {Code: tea.KeyLeft},
	"right":     {Code: tea.KeyRight},
	"backspace": {Code: tea.KeyBackspace},
	"space":     {Code: tea.KeySpace, Text: " "},
	"ctrl+c":    {Code: 'c', Mod: tea.ModCtrl},
}

// Press is the key named k ("enter", "esc", "ctrl+c", …) or, for any other
// string, the text typed, e.g. "q" or "bug 1234" (text fields take a
// whole string in one message; the root's keys are one rune each).
func Press(k string) tea.KeyPressMsg {
	if key, ok := named[k]; ok {
		return tea.KeyPressMsg(key)
	}
	r, _ := utf8.DecodeRuneInString(k)
	return tea.KeyPressMsg{Code: r, Text: k}
}
