package format

import (
	"fmt"
	"strings"
	"unicode"
)

// Bytes is a byte count in binary units: 512 B, 1.5 KiB, 3.4 MiB.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// ShortKey is the start of a public key, enough to tell peers apart.
func ShortKey(k string) string {
	if r := []rune(k); len(r) > 8 {
		return string(r[:8]) + "…"
	}
	return k
}

// ShortDigest is a digest or an engine ID as the engine's own tools show
// it: 12 hex digits, without "sha256:".
func ShortDigest(d string) string {
	d = strings.TrimPrefix(d, "sha256:")
	return d[:min(12, len(d))]
}

// OneLine is s on one line, its whitespace folded, made Printable, and cut
// to at most n runes with "…" (n 0: uncut). It is how text that others
// wrote (a reason, a probe's output) appears in a table.
func OneLine(s string, n int) string {
	s = Printable(strings.Join(strings.Fields(s), " "))
	if r := []rune(s); n > 0 && len(r) > n {
		s = string(r[:n-1]) + "…"
	}
	return s
}

// Printable makes a string another user or program wrote safe to print on a
// terminal: control characters (C0, DEL, C1) and the Unicode format
// characters that reorder or hide text (bidi embeddings, overrides and
// isolates, zero-width characters) are written as visible escapes such as
// \x1b or \u202e. The text can then neither move the reader's cursor nor
// recolour or reorder what the reader sees, and the reader sees that
// something was there.
func Printable(s string) string {
	if !strings.ContainsFunc(s, unprintable) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x100 && unprintable(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unprintable(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func unprintable(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r < 0xa0) || unicode.Is(unicode.Cf, r)
}
