package hubapi

import (
	"maps"

	"github.com/devenv-dev/devenv/internal/format"
)

// Printable makes a string another user typed safe to print on a terminal
// (format.Printable): a reason can neither move an approver's cursor nor
// recolour or reorder what the approver reads, and the approver sees that
// something was there.
func Printable(s string) string { return format.Printable(s) }

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
