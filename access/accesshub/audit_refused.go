package accesshub

import (
	"errors"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// A refused action leaves no change, and its transaction is rolled back
// with its audit record; yet a self-approval or a probe of others' grants
// is what an auditor most wants to see. So each refusal of a known caller
// gets a record of its own, in a transaction after the refusal: who (the
// user and device), what (the action), on what (target, request) and why
// (the error's code and message), with Verdict "refused".
//
// A refusal costs its caller nothing, so a flood of them must not cost the
// hub more than allowed actions do. Each record is small: the fields a
// caller chooses (a target's or request's name) are cut to
// maxRefusalField bytes and the reason to maxRefusalReason, where an
// allowed request keeps a reason of up to a KiB. And each user gets at
// most refusalBurst records a minute: past that, refusals are counted,
// logged once, and the user's next record carries the count ("suppressed"),
// so the trail says how many went unrecorded. Strangers (no valid device
// token) get no record: they are not known, and the log and rate limits of
// authentication deal with them.

const (
	refusalBurst     = 30
	refusalWindow    = time.Minute
	maxRefusalField  = 64
	maxRefusalReason = 256
)

// refusalCodes are the errors that refuse an action on the grounds of who
// asks or what the rules allow, as opposed to a malformed or stale request.
var refusalCodes = []*hub.Error{hub.ErrForbidden, ErrSelfApproval, ErrNotApprover, ErrTooLong, ErrNoBreakGlass, hub.ErrKeyTaken}

func isRefusal(err error) bool {
	for _, e := range refusalCodes {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// refusals counts the refusal records written per user in the current window.
type refusals struct {
	mu         sync.Mutex
	window     time.Time      // guarded by mu; when the current window began
	written    map[string]int // guarded by mu; user -> records this window
	suppressed map[string]int // guarded by mu; user -> refusals unrecorded since their last record
}

// take reports whether user's refusal at now gets a record, and how many
// of theirs went unrecorded before it; the count is the caller's now.
func (f *refusals) take(user string, now time.Time) (record bool, suppressed int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.written == nil || now.Sub(f.window) >= refusalWindow {
		f.window, f.written = now, map[string]int{}
	}
	if f.suppressed == nil {
		f.suppressed = map[string]int{}
	}
	if f.written[user] >= refusalBurst {
		f.suppressed[user]++
		return false, f.suppressed[user]
	}
	f.written[user]++
	n := f.suppressed[user]
	delete(f.suppressed, user)
	return true, n
}

// giveBack returns a count take handed out whose record failed to commit.
func (f *refusals) giveBack(user string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.suppressed[user] += n
}

// auditRefused records that the caller behind token was refused action on
// target or request id with err. Errors that are not refusals, and
// callers the hub does not know, leave no record. A record that cannot be
// written is logged: the refusal itself stands either way.
func (a *Access) auditRefused(token, action, target, id string, err error) {
	// A request the caller may not see answers as unknown (so as not to
	// reveal its owner), but reaching for it is a refusal all the same.
	hidden := errors.Is(err, ErrRequestUnknown) && id != ""
	if !isRefusal(err) && !hidden {
		return
	}
	var c hub.Caller
	if a.db.View(func(tx *bolt.Tx) error {
		var err error
		c, err = hub.CallerOf(tx, token)
		if err == nil && id != "" {
			r, rerr := getRequest(tx, id)
			switch {
			case rerr != nil && hidden:
				return rerr // truly unknown: nothing was refused
			case rerr == nil && target == "":
				target = r.Target
			}
		}
		return err
	}) != nil {
		return
	}
	now := a.clock.Now().UTC()
	record, suppressed := a.refusals.take(c.User, now)
	if !record {
		if suppressed == 1 {
			a.log.Warn("refusals of this user come faster than the audit trail records them; counting the rest",
				"user", c.User, "device", c.Device, "limit_per_minute", refusalBurst)
		}
		return
	}
	rec := refusalRecord(c, action, target, id, hub.AsError(err), now)
	if suppressed > 0 {
		rec.Detail["suppressed"] = strconv.Itoa(suppressed)
	}
	if werr := a.db.Update(func(tx *bolt.Tx) error { return hub.AppendAudit(tx, rec) }); werr != nil {
		a.refusals.giveBack(c.User, suppressed+1)
		a.log.Error("recording a refused action in the audit trail", "user", c.User, "action", action, "err", werr)
	}
}

func refusalRecord(c hub.Caller, action, target, id string, e *hub.Error, now time.Time) hubapi.AuditRecord {
	return hubapi.AuditRecord{Time: now, Actor: c.User, Action: action, Target: clip(target, maxRefusalField),
		RequestID: clip(id, maxRefusalField), Verdict: "refused",
		Detail: map[string]string{"device": c.Device, "code": e.Code, "reason": clip(e.Message, maxRefusalReason)}}
}

// clip cuts s to at most n bytes, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n-- // a record's strings stay valid UTF-8, or JSON would change them under their hash
	}
	return s[:n] + "…"
}

// requestAction is the action a refused request was: an emergency or not.
func requestAction(req hubapi.AccessRequest) string {
	if req.Emergency {
		return "emergency"
	}
	return "request"
}
