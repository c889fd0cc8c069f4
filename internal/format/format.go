// Package format renders values for people, the same way in the CLI and the
// UI: ages and countdowns, lengths of time, byte sizes, short keys and
// digests, text from others on one printable line, and the dash for what is
// missing. A value said two ways on two screens reads as two values; keeping
// every rendering here keeps them one.
package format

// Missing is what a table shows for a value that is absent.
const Missing = "-"

// OrDash is s, or Missing when s is empty.
func OrDash(s string) string {
	if s == "" {
		return Missing
	}
	return s
}
