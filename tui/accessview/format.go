package accessview

import (
	"fmt"
	"time"

	"github.com/devenv-dev/devenv/internal/format"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// shortID is enough of a request ID to tell requests apart on screen.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// when is what matters of a request's times in its state.
func when(r hubapi.Request, now time.Time) string {
	switch {
	case r.State == hubapi.StatePending:
		return "asks " + format.Duration(r.For)
	case granted(r, now):
		return format.Left(r.NotAfter, now)
	case r.StateAt(now) == hubapi.StateExpired:
		return "ended " + format.Ago(r.NotAfter, now)
	case !r.Decided.IsZero():
		return format.Ago(r.Decided, now)
	}
	return format.Ago(r.Created, now)
}

// detail says everything about the selected request and what comes next.
func detail(r hubapi.Request, mine bool, now time.Time) string {
	head := fmt.Sprintf("%s %s", shortID(r.ID), r.Target)
	if !mine {
		head = fmt.Sprintf("%s: %s asks %s for %s", shortID(r.ID), r.Requester, r.Target, format.Duration(r.For))
	}
	if r.Emergency {
		head += " (emergency)"
	}
	var what string
	switch {
	case !mine:
		what = fmt.Sprintf("waiting %s; a approves, d denies with a reason", format.Age(now.Sub(r.Created)))
	case r.State == hubapi.StatePending:
		what = "waiting for an approver; x withdraws it"
	case granted(r, now):
		what = fmt.Sprintf("approved by %s until %s (%s); devenv access connect %s", r.Approver, format.Clock(r.NotAfter, now),
			format.Left(r.NotAfter, now), r.Target)
	case r.State == hubapi.StateDenied:
		what = fmt.Sprintf("denied by %s: %s", r.Approver, r.DenyReason)
	case r.State == hubapi.StateLapsed:
		what = "nobody decided in time; n asks again"
	case r.State == hubapi.StateRevoked:
		what = fmt.Sprintf("revoked by %s at %s", r.Approver, format.Clock(r.Decided, now))
	default:
		what = "expired at " + format.Clock(r.NotAfter, now)
	}
	return head + " · " + what + " · reason: " + format.OneLine(r.Reason, 0)
}

// doneNote reports an action that succeeded.
func doneNote(verb string, r hubapi.Request, now time.Time) string {
	id := shortID(r.ID)
	switch verb {
	case "approve":
		return fmt.Sprintf("approved %s: %s on %s until %s", id, r.Requester, r.Target, format.Clock(r.NotAfter, now))
	case "deny":
		return fmt.Sprintf("denied %s: %s", id, r.DenyReason)
	case "request":
		if granted(r, now) {
			return fmt.Sprintf("request %s for %s: approved until %s (%s); devenv access connect %s", id, r.Target,
				format.Clock(r.NotAfter, now), format.Left(r.NotAfter, now), r.Target)
		}
		return fmt.Sprintf("request %s for %s: %s; an approver decides", id, r.Target, r.State)
	}
	return fmt.Sprintf("%s (%s) is %s now", id, r.Target, r.State)
}
