package accesshub

import (
	"net/http"

	"github.com/devenv-dev/devenv/vpn/hub"
)

// Errors of production access; their codes are part of the API. Checks
// that fail for want of a role answer hub.ErrForbidden (code forbidden), a
// reused request key hub.ErrKeyTaken (key_taken), and a gateway whose access
// network is full hub.ErrAddressSpaceFull (address_space_full), each with a
// message naming the target or request.
var (
	ErrTargetUnknown  = hub.NewError(http.StatusNotFound, "target_unknown", "no such target; list them with devenv access targets")
	ErrTooLong        = hub.NewError(http.StatusBadRequest, "too_long", "the target allows less time; ask for less with --for")
	ErrRequestUnknown = hub.NewError(http.StatusNotFound, "request_unknown", "no such request; list them with devenv access list")
	ErrNotPending     = hub.NewError(http.StatusConflict, "not_pending", "the request was decided already; see it with devenv access list")
	ErrSelfApproval   = hub.NewError(http.StatusForbidden, "self_approval", "nobody decides their own request; ask another approver")
	ErrNotApprover    = hub.NewError(http.StatusForbidden, "not_approver", "you may not approve access to this target; ask one of its approvers")
	ErrNoBreakGlass   = hub.NewError(http.StatusForbidden, "no_break_glass", "this target does not allow emergency access; request it without --emergency")
	ErrPending        = hub.NewError(http.StatusConflict, "pending", "the request waits for an approver")
	ErrGrantEnded     = hub.NewError(http.StatusGone, "grant_ended", "the request was denied, lapsed, revoked or expired; request access again")
	ErrGatewayExists  = hub.NewError(http.StatusConflict, "gateway_exists", "a gateway with this name exists; pick another name")
	ErrTargetTaken    = hub.NewError(http.StatusConflict, "target_taken", "another gateway registered a target with this name; rename one of them")
)
