package hub

import "net/http"

// Errors of production access; their codes are part of the API. Checks
// that fail for want of a role answer ErrForbidden (code forbidden), a
// reused request key ErrKeyTaken (key_taken), and a gateway whose access
// network is full ErrAddressSpaceFull (address_space_full), each with a
// message naming the target or request.
var (
	ErrTargetUnknown  = newError(http.StatusNotFound, "target_unknown", "no such target; list them with devenv access targets")
	ErrTooLong        = newError(http.StatusBadRequest, "too_long", "the target allows less time; ask for less with --for")
	ErrRequestUnknown = newError(http.StatusNotFound, "request_unknown", "no such request; list them with devenv access list")
	ErrNotPending     = newError(http.StatusConflict, "not_pending", "the request was decided already; see it with devenv access list")
	ErrSelfApproval   = newError(http.StatusForbidden, "self_approval", "nobody decides their own request; ask another approver")
	ErrNotApprover    = newError(http.StatusForbidden, "not_approver", "you may not approve access to this target; ask one of its approvers")
	ErrNoBreakGlass   = newError(http.StatusForbidden, "no_break_glass", "this target does not allow emergency access; request it without --emergency")
	ErrPending        = newError(http.StatusConflict, "pending", "the request waits for an approver")
	ErrGrantEnded     = newError(http.StatusGone, "grant_ended", "the request was denied, lapsed, revoked or expired; request access again")
	ErrGatewayExists  = newError(http.StatusConflict, "gateway_exists", "a gateway with this name exists; pick another name")
	ErrTargetTaken    = newError(http.StatusConflict, "target_taken", "another gateway registered a target with this name; rename one of them")
)
