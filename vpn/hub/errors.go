package hub

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// Error is a failure the hub reports to a caller: an HTTP status, a stable
// machine-readable code and one line saying what to do. Two errors match
// under errors.Is when their codes are equal, so a detailed copy made with
// With still matches its sentinel.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Is reports whether target is an *Error with the same code.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code == e.Code
}

// API returns the wire form of the error.
func (e *Error) API() hubapi.Error { return hubapi.Error{Code: e.Code, Message: e.Message} }

// With returns a copy of e with a message naming the thing at hand.
func (e *Error) With(format string, args ...any) *Error {
	return &Error{Status: e.Status, Code: e.Code, Message: fmt.Sprintf(format, args...)}
}

// NewError is an error with a code of the API; the hub's extensions make
// theirs with it too.
func NewError(status int, code, msg string) *Error {
	return &Error{Status: status, Code: code, Message: msg}
}

// Errors the hub returns; their codes are part of the API.
var (
	ErrBadRequest       = NewError(http.StatusBadRequest, "bad_request", "the request is malformed; upgrade devenv on this machine")
	ErrInviteUnknown    = NewError(http.StatusForbidden, "invite_unknown", "the hub does not know this invite; ask an admin for a new one (devenv hub invite create)")
	ErrInviteExpired    = NewError(http.StatusForbidden, "invite_expired", "the invite has expired; ask an admin for a new one (devenv hub invite create)")
	ErrInviteUsed       = NewError(http.StatusForbidden, "invite_used", "the invite was already used; ask an admin for a new one (devenv hub invite create)")
	ErrNameTaken        = NewError(http.StatusConflict, "name_taken", "a device of yours already has this name; pick another name, or leave the network on the old device first")
	ErrKeyTaken         = NewError(http.StatusConflict, "key_taken", "another device already uses this public key; generate a new key")
	ErrAddressSpaceFull = NewError(http.StatusServiceUnavailable, "address_space_full", "the hub has no free address left; ask an admin to revoke unused devices (devenv hub device revoke)")
	ErrUnauthorized     = NewError(http.StatusUnauthorized, "unauthorized", "the hub does not know this device's token; join again with a new invite")
	ErrRevoked          = NewError(http.StatusForbidden, "revoked", "an admin revoked this device; join again with a new invite")
	ErrForbidden        = NewError(http.StatusForbidden, "forbidden", "this needs a device of an admin user")
	ErrUserExists       = NewError(http.StatusConflict, "user_exists", "a user with this name exists; pick another name")
	ErrUserUnknown      = NewError(http.StatusNotFound, "user_unknown", "no such user; list them with devenv hub user list")
	ErrDeviceUnknown    = NewError(http.StatusNotFound, "device_unknown", "no such device; list them with devenv hub device list")
	ErrInternal         = NewError(http.StatusInternalServerError, "internal", "the hub failed; its log says why")
)

// AsError maps any error to the *Error reported to the caller; errors that
// are not the hub's own become ErrInternal, so internals never leak.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return ErrInternal
}
