package images

import (
	"errors"
	"fmt"
	"strings"
)

// Kinds of pull failure; a *PullError unwraps to exactly one of them.
var (
	ErrNotFound            = errors.New("image not found in the registry")
	ErrUnauthorized        = errors.New("registry refused access")
	ErrRegistryUnreachable = errors.New("registry unreachable")
	ErrNoSpace             = errors.New("no space left for images")
	ErrDigestMismatch      = errors.New("image content does not match its digest")
	ErrPull                = errors.New("pull failed")
)

// PullError is the failure of one image, for all the services using it.
type PullError struct {
	Image    string   // reference as requested
	Services []string // services using it; may be empty (Resolve)
	Kind     error    // one of the Err… sentinels
	Detail   string   // the engine's message, secrets removed
}

func (e *PullError) Unwrap() error { return e.Kind }

// Error names the services and image, says what went wrong in words with
// the engine's own short reason in parentheses, and the next step.
func (e *PullError) Error() string {
	var b strings.Builder
	switch len(e.Services) {
	case 0:
	case 1:
		b.WriteString("service " + e.Services[0] + ": ")
	default:
		b.WriteString("services " + strings.Join(e.Services, ", ") + ": ")
	}
	b.WriteString("image " + e.Image + ": ")
	cause := shortCause(e.Detail)
	host := RegistryHost(e.Image)
	switch e.Kind {
	case ErrNotFound:
		fmt.Fprintf(&b, "not found in the registry (%s); check the name and tag, or run devenv lock again", cause)
	case ErrUnauthorized:
		fmt.Fprintf(&b, "the registry refused access (%s); log in with `%s`", cause, loginCommand(host))
	case ErrRegistryUnreachable:
		fmt.Fprintf(&b, "cannot reach the registry %s (%s); is the registry running, and is the VPN up?", host, cause)
	case ErrNoSpace:
		fmt.Fprintf(&b, "the engine ran out of disk space (%s); free some with `docker system prune`", cause)
	case ErrDigestMismatch:
		fmt.Fprintf(&b, "the downloaded content does not match its digest (%s); pull again, and if it persists push the image again", cause)
	default:
		fmt.Fprintf(&b, "pull failed: %s", cause)
	}
	return b.String()
}

func loginCommand(host string) string {
	if host == HubHost {
		return "docker login"
	}
	return "docker login " + host
}

// classifier maps a fragment of the engine's message (lower case) to a kind
// and the short reason shown in parentheses. The first match wins, so the
// specific fragments come before the general ones.
type classifier struct {
	fragment string
	kind     error
	cause    string // "" shows the whole message
}

var classifiers = []classifier{
	{"no space left on device", ErrNoSpace, "no space left on device"},
	{"verification failed for digest", ErrDigestMismatch, "verification failed"},
	{"digest mismatch", ErrDigestMismatch, "digest mismatch"},
	{"does not match digest", ErrDigestMismatch, "digest mismatch"},
	{"repository does not exist or may require 'docker login'", ErrNotFound, "the repository does not exist, or it needs docker login"},
	{"manifest unknown", ErrNotFound, "manifest unknown"},
	{"name unknown", ErrNotFound, "repository unknown"},
	{"no basic auth credentials", ErrUnauthorized, "no credentials"},
	{"incorrect username or password", ErrUnauthorized, "incorrect username or password"},
	{"unauthorized", ErrUnauthorized, "unauthorized"},
	{"authentication required", ErrUnauthorized, "authentication required"},
	{"denied: ", ErrUnauthorized, "access denied"},
	{"connection refused", ErrRegistryUnreachable, "connection refused"},
	{"no such host", ErrRegistryUnreachable, "no such host"},
	{"no route to host", ErrRegistryUnreachable, "no route to host"},
	{"network is unreachable", ErrRegistryUnreachable, "network is unreachable"},
	{"i/o timeout", ErrRegistryUnreachable, "timed out"},
	{"tls handshake timeout", ErrRegistryUnreachable, "timed out"},
	{"client.timeout exceeded", ErrRegistryUnreachable, "timed out"},
	{"connection reset by peer", ErrRegistryUnreachable, "connection reset"},
	{"not found", ErrNotFound, "not found"},
}

func classify(msg string) classifier {
	lower := strings.ToLower(msg)
	for _, c := range classifiers {
		if strings.Contains(lower, c.fragment) {
			return c
		}
	}
	return classifier{kind: ErrPull}
}

// shortCause is the reason shown for an engine message: the classifier's
// words, or the message itself when nothing matched.
func shortCause(detail string) string {
	if c := classify(detail); c.cause != "" {
		return c.cause
	}
	if detail == "" {
		return "no reason given"
	}
	return detail
}

// newPullError classifies the engine's message about image and removes the
// secrets of auth from it.
func newPullError(image string, services []string, detail string, auth AuthConfig) *PullError {
	detail = redact(strings.TrimPrefix(strings.TrimSpace(detail), "Error response from daemon: "), auth)
	return &PullError{Image: image, Services: services, Kind: classify(detail).kind, Detail: detail}
}

// minSecret is the shortest secret redact replaces; shorter ones would turn
// ordinary words of the message into asterisks and hide nothing worth hiding.
const minSecret = 4

// redact replaces auth's secrets, and the encoded header carrying them, in s.
func redact(s string, auth AuthConfig) string {
	for _, secret := range []string{EncodeAuth(auth), auth.Password, auth.IdentityToken, auth.RegistryToken} {
		if len(secret) >= minSecret {
			s = strings.ReplaceAll(s, secret, "***")
		}
	}
	return s
}
