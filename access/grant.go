package access

import (
	"errors"
	"fmt"
	"time"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// ErrNoGrant means the caller has no grant to connect with for what they
// named; the error's text says why and what to do.
var ErrNoGrant = errors.New("no active grant")

// pickGrant chooses among the caller's requests the one ref names (a
// request ID, else a target name) that can be connected now: approved,
// before its deadline, its key in the store. Of several, the one that
// lasts longest wins.
func pickGrant(rs []hubapi.Request, ref string, now time.Time, hasKey func(id string) bool) (hubapi.Request, error) {
	matches := filterRequests(rs, func(r hubapi.Request) bool { return r.ID == ref })
	if len(matches) == 0 {
		matches = filterRequests(rs, func(r hubapi.Request) bool { return r.Target == ref })
	}
	if len(matches) == 0 {
		return hubapi.Request{}, fmt.Errorf("%w: you have no request %s and none for a target %s; devenv access request TARGET --for 30m --reason …",
			ErrNoGrant, ref, ref)
	}
	var best *hubapi.Request
	var pending, keyless, last *hubapi.Request
	for i := range matches {
		r := &matches[i]
		active := r.StateAt(now) == hubapi.StateApproved
		switch {
		case active && hasKey(r.ID):
			if best == nil || r.NotAfter.After(best.NotAfter) {
				best = r
			}
		case active:
			keyless = r
		case r.State == hubapi.StatePending:
			pending = r
		}
		if last == nil || r.Created.After(last.Created) {
			last = r
		}
	}
	switch {
	case best != nil:
		return *best, nil
	case keyless != nil:
		return hubapi.Request{}, fmt.Errorf("%w: grant %s for %s was requested on another machine, which holds its key; connect from there or request again",
			ErrNoGrant, keyless.ID, keyless.Target)
	case pending != nil:
		return hubapi.Request{}, fmt.Errorf("%w: request %s for %s is still pending; ask an approver (devenv access approve %s)",
			ErrNoGrant, pending.ID, pending.Target, pending.ID)
	}
	return hubapi.Request{}, fmt.Errorf("%w: your last request for %s (%s) is %s; devenv access request %s --for 30m --reason … asks again",
		ErrNoGrant, last.Target, last.ID, last.StateAt(now), last.Target)
}

func filterRequests(rs []hubapi.Request, keep func(hubapi.Request) bool) []hubapi.Request {
	var out []hubapi.Request
	for _, r := range rs {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}
