package hubclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// ErrFingerprint means the hub presented a certificate other than the one the
// invite pinned. Nothing was sent to it.
var ErrFingerprint = errors.New("the hub's certificate does not match the invite; ask for a new invite")

// ErrUnreachable matches every UnreachableError.
var ErrUnreachable = errors.New("hub unreachable")

// UnreachableError is a failure to get any answer from the hub.
type UnreachableError struct {
	URL string
	Err error // the cause: refused, timed out, no route, TLS failure…
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the hub at %s: %v; check that the hub is running and that this machine can reach it",
		e.URL, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUnreachable) true.
func (e *UnreachableError) Is(target error) bool { return target == ErrUnreachable }

// Code is a machine-readable hub error code (hubapi.Error.Code). A Code is
// itself an error so that errors.Is(err, hubclient.ErrInviteUsed) tells an
// APIError's code.
type Code string

func (c Code) Error() string { return "hub error " + string(c) }

// Codes the hub answers with.
const (
	ErrInviteExpired    Code = "invite_expired"
	ErrInviteUsed       Code = "invite_used"
	ErrInviteUnknown    Code = "invite_unknown"
	ErrNameTaken        Code = "name_taken"
	ErrAddressSpaceFull Code = "address_space_full"
	ErrUnauthorized     Code = "unauthorized"
	ErrRevoked          Code = "revoked"
	ErrForbidden        Code = "forbidden"
	ErrKeyTaken         Code = "key_taken"
	ErrDeviceUnknown    Code = "device_unknown"
	ErrBadRequest       Code = "bad_request"
)

// Body is the hub's error body. APIError embeds it under this name (an
// embedded hubapi.Error would clash with the Error method) so that Code and
// Message are promoted.
type Body = hubapi.Error

// APIError is a non-2xx answer from the hub.
type APIError struct {
	Status int // HTTP status
	Body
}

func (e *APIError) Error() string {
	switch {
	case e.Message != "":
		return "hub: " + e.Message
	case e.Code != "":
		return fmt.Sprintf("hub: %s (HTTP %d)", e.Code, e.Status)
	}
	return fmt.Sprintf("hub: HTTP %d %s", e.Status, http.StatusText(e.Status))
}

// Is matches a Code equal to the error's code. A 401 without a code is
// ErrUnauthorized.
func (e *APIError) Is(target error) bool {
	c, ok := target.(Code)
	if !ok {
		return false
	}
	if e.Code == "" && e.Status == http.StatusUnauthorized {
		return c == ErrUnauthorized
	}
	return string(c) == e.Code
}

// readAPIError reads a hubapi.Error body; anything else becomes the start of
// the body as the message.
func readAPIError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	e := &APIError{Status: resp.StatusCode}
	if json.Unmarshal(b, &e.Body) != nil || (e.Code == "" && e.Message == "") {
		e.Body = hubapi.Error{Message: firstLine(string(b), 200)}
	}
	return e
}

func firstLine(s string, max int) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}
