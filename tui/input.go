package tui

import "charm.land/bubbles/v2/textinput"

// TextInput is a text field for the root and the panels: a steady cursor,
// since a blinking one redraws the screen twice a second for nothing.
func TextInput(prompt, placeholder string) textinput.Model {
	in := textinput.New()
	in.Prompt, in.Placeholder = prompt, placeholder
	st := in.Styles()
	st.Cursor.Blink = false
	in.SetStyles(st)
	return in
}
