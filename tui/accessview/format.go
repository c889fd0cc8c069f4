package accessview

import (
	"fmt"
	"strings"
	"time"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// shortID is enough of a request ID to tell requests apart on screen.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// shortDuration drops zero units: 30m, 1h, 1h30m, 45s.
func shortDuration(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// age is a duration in its two largest units: 12s, 4m05s, 3h20m, 2d5h.
func age(d time.Duration) string {
	d = max(d, 0).Truncate(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}

// left is the countdown to t: "12m04s left", "ended". The remaining time
// rounds up, so that it reads 0s only at the end.
func left(t, now time.Time) string {
	d := t.Sub(now)
	if d <= 0 {
		return "ended"
	}
	return age((d + time.Second - 1).Truncate(time.Second)) + " left"
}

// clock is a time of day in the panel's zone (that of its clock).
func clock(t, now time.Time) string { return t.In(now.Location()).Format(time.TimeOnly) }

// stateWord is a request's state as shown: a grant past its end is
// expired whatever the hub has noticed.
func stateWord(r hubapi.Request, now time.Time) string {
	if r.State == hubapi.StateApproved && !r.NotAfter.After(now) {
		return hubapi.StateExpired
	}
	return r.State
}

// when is what matters of a request's times in its state.
func when(r hubapi.Request, now time.Time) string {
	switch {
	case r.State == hubapi.StatePending:
		return "asks " + shortDuration(r.For)
	case granted(r, now):
		return left(r.NotAfter, now)
	case r.State == hubapi.StateApproved || r.State == hubapi.StateExpired:
		return "ended " + age(now.Sub(r.NotAfter)) + " ago"
	case !r.Decided.IsZero():
		return age(now.Sub(r.Decided)) + " ago"
	}
	return age(now.Sub(r.Created)) + " ago"
}

// detail says everything about the selected request and what comes next.
func detail(r hubapi.Request, mine bool, now time.Time) string {
	head := fmt.Sprintf("%s %s", shortID(r.ID), r.Target)
	if !mine {
		head = fmt.Sprintf("%s: %s asks %s for %s", shortID(r.ID), r.Requester, r.Target, shortDuration(r.For))
	}
	if r.Emergency {
		head += " (emergency)"
	}
	var what string
	switch {
	case !mine:
		what = fmt.Sprintf("waiting %s; a approves, d denies with a reason", age(now.Sub(r.Created)))
	case r.State == hubapi.StatePending:
		what = "waiting for an approver; x withdraws it"
	case granted(r, now):
		what = fmt.Sprintf("approved by %s until %s (%s); devenv access connect %s", r.Approver, clock(r.NotAfter, now),
			left(r.NotAfter, now), r.Target)
	case r.State == hubapi.StateDenied:
		what = fmt.Sprintf("denied by %s: %s", r.Approver, r.DenyReason)
	case r.State == hubapi.StateLapsed:
		what = "nobody decided in time; n asks again"
	case r.State == hubapi.StateRevoked:
		what = fmt.Sprintf("revoked by %s at %s", r.Approver, clock(r.Decided, now))
	default:
		what = "expired at " + clock(r.NotAfter, now)
	}
	return head + " · " + what + " · reason: " + oneLine(r.Reason)
}

// doneNote reports an action that succeeded.
func doneNote(verb string, r hubapi.Request, now time.Time) string {
	id := shortID(r.ID)
	switch verb {
	case "approve":
		return fmt.Sprintf("approved %s: %s on %s until %s", id, r.Requester, r.Target, clock(r.NotAfter, now))
	case "deny":
		return fmt.Sprintf("denied %s: %s", id, r.DenyReason)
	case "request":
		if granted(r, now) {
			return fmt.Sprintf("request %s for %s: approved until %s (%s); devenv access connect %s", id, r.Target,
				clock(r.NotAfter, now), left(r.NotAfter, now), r.Target)
		}
		return fmt.Sprintf("request %s for %s: %s; an approver decides", id, r.Target, r.State)
	}
	return fmt.Sprintf("%s (%s) is %s now", id, r.Target, r.State)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
