package hubapi

import (
	"fmt"
	"maps"
	"strings"
	"unicode"
)

// Printable makes a string another user typed safe to print on a terminal:
// control characters (C0, DEL, C1) and the Unicode format characters that
// reorder or hide text (bidi embeddings, overrides and isolates, zero-width
// characters) are written as visible escapes such as \x1b or \u202e. A reason
// can then neither move an approver's cursor nor recolour or reorder what
// the approver reads, and the approver sees that something was there.
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

// Printable is r with every field a user or the hub wrote made Printable.
func (r Request) Printable() Request {
	for _, f := range []*string{&r.ID, &r.Requester, &r.Target, &r.Reason, &r.State, &r.Approver, &r.DenyReason} {
		*f = Printable(*f)
	}
	return r
}

// Printable is r with every text field made Printable.
func (r AuditRecord) Printable() AuditRecord {
	for _, f := range []*string{&r.Actor, &r.Action, &r.Target, &r.RequestID, &r.Verdict} {
		*f = Printable(*f)
	}
	if r.Detail != nil {
		d := make(map[string]string, len(r.Detail))
		for k, v := range maps.All(r.Detail) {
			d[Printable(k)] = Printable(v)
		}
		r.Detail = d
	}
	return r
}
